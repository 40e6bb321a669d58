namespace Hive.Daemon.Store;

/// <summary>Cluster mode: the hosts that send heartbeats and where each sandbox is placed.</summary>
public sealed partial class PostgresStore
{
    public void SetSandboxHost(string name, string? host)
    {
        using var c = _db.OpenConnection();
        Run(c, null, "UPDATE sandboxes SET host = @h WHERE name = @n", ("h", host), ("n", name));
    }

    public bool PlaceSandbox(string name, string host, string? expected)
    {
        using var c = _db.OpenConnection();
        return (expected is null
            ? Run(c, null, "UPDATE sandboxes SET host = @h WHERE name = @n AND host IS NULL", ("h", host), ("n", name))
            : Run(c, null, "UPDATE sandboxes SET host = @h WHERE name = @n AND host = @e", ("h", host), ("n", name), ("e", expected))) == 1;
    }

    public IReadOnlyList<SandboxRecord> ListSandboxesOnHost(string host)
    {
        using var c = _db.OpenConnection();
        using var cmd = Command(c, null, $"SELECT {SqliteStore.SandboxColumns} FROM sandboxes WHERE host = @h ORDER BY created_at, name", ("h", host));
        using var r = cmd.ExecuteReader();
        var list = new List<SandboxRecord>();
        while (r.Read()) list.Add(ReadSandbox(r));
        return list;
    }

    public IReadOnlyDictionary<string, int> CountSandboxesByHost()
    {
        using var cmd = _db.CreateCommand("SELECT host, count(*) FROM sandboxes WHERE host IS NOT NULL GROUP BY host");
        using var r = cmd.ExecuteReader();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (r.Read()) counts[r.GetString(0)] = (int)r.GetInt64(1);
        return counts;
    }

    public void UpsertHost(HostRecord host)
    {
        using var c = _db.OpenConnection();
        Run(c, null, """
            INSERT INTO hosts(name, advertise, capacity, labels, last_seen, status) VALUES (@n, @a, @c, @l, @t, @s)
            ON CONFLICT(name) DO UPDATE SET advertise = EXCLUDED.advertise, capacity = EXCLUDED.capacity, labels = EXCLUDED.labels,
              last_seen = EXCLUDED.last_seen, status = EXCLUDED.status
            """, ("n", host.Name), ("a", host.Advertise.ToString()), ("c", host.Capacity), ("l", StoredColumns.Labels(host.Labels)),
            ("t", host.LastSeen), ("s", host.Status));
    }

    public IReadOnlyList<HostRecord> ListHosts()
    {
        using var cmd = _db.CreateCommand("SELECT name, advertise, capacity, labels, last_seen, status FROM hosts ORDER BY name");
        using var r = cmd.ExecuteReader();
        var list = new List<HostRecord>();
        while (r.Read())
            list.Add(new HostRecord(r.GetString(0), new Uri(r.GetString(1)), r.GetInt32(2), StoredColumns.ParseLabels(r.GetString(3)),
                r.GetFieldValue<DateTimeOffset>(4), r.GetString(5)));
        return list;
    }

    public bool SetHostStatus(string name, string status, DateTimeOffset? seenBefore = null)
    {
        using var c = _db.OpenConnection();
        return (seenBefore is { } before
            ? Run(c, null, "UPDATE hosts SET status = @s WHERE name = @n AND status <> @s AND last_seen < @b", ("s", status), ("n", name), ("b", before))
            : Run(c, null, "UPDATE hosts SET status = @s WHERE name = @n AND status <> @s", ("s", status), ("n", name))) == 1;
    }
}
