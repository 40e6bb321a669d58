using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Hive.Daemon.Store;

/// <summary>Cluster mode: the hosts that send heartbeats and where each sandbox is placed.</summary>
public sealed partial class SqliteStore
{
    internal const string SandboxColumns = "name, config, status, created_at, slot, error, host, last_active";

    /// <summary>
    /// Schema v3. SQLite cannot drop a UNIQUE constraint: the sandboxes table is rebuilt without it (hosts own slots now;
    /// new rows write 0), with the placement column.
    /// </summary>
    private const string ClusterTables = """
        CREATE TABLE sandboxes_v3 (
          name TEXT PRIMARY KEY, config TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
          slot INTEGER NOT NULL, error TEXT, host TEXT);
        INSERT INTO sandboxes_v3(name, config, status, created_at, slot, error) SELECT name, config, status, created_at, slot, error FROM sandboxes;
        DROP TABLE sandboxes;
        ALTER TABLE sandboxes_v3 RENAME TO sandboxes;
        CREATE INDEX sandboxes_host ON sandboxes(host);
        CREATE TABLE hosts (
          name TEXT PRIMARY KEY, advertise TEXT NOT NULL, capacity INTEGER NOT NULL, labels TEXT NOT NULL,
          last_seen TEXT NOT NULL, status TEXT NOT NULL);
        """;

    public void SetSandboxHost(string name, string? host)
    {
        lock (_writeLock)
        {
            using var cmd = Command("UPDATE sandboxes SET host = $h WHERE name = $n", null, ("$h", host), ("$n", name));
            cmd.ExecuteNonQuery();
        }
    }

    public bool PlaceSandbox(string name, string host, string? expected)
    {
        lock (_writeLock)
        {
            using var cmd = expected is null
                ? Command("UPDATE sandboxes SET host = $h WHERE name = $n AND host IS NULL", null, ("$h", host), ("$n", name))
                : Command("UPDATE sandboxes SET host = $h WHERE name = $n AND host = $e", null, ("$h", host), ("$n", name), ("$e", expected));
            return cmd.ExecuteNonQuery() == 1;
        }
    }

    public IReadOnlyList<SandboxRecord> ListSandboxesOnHost(string host)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {SandboxColumns} FROM sandboxes WHERE host = $h ORDER BY created_at, name";
        cmd.Parameters.AddWithValue("$h", host);
        using var r = cmd.ExecuteReader();
        var list = new List<SandboxRecord>();
        while (r.Read()) list.Add(ReadSandbox(r));
        return list;
    }

    public IReadOnlyDictionary<string, int> CountSandboxesByHost()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT host, COUNT(*) FROM sandboxes WHERE host IS NOT NULL GROUP BY host";
        using var r = cmd.ExecuteReader();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (r.Read()) counts[r.GetString(0)] = r.GetInt32(1);
        return counts;
    }

    public void UpsertHost(HostRecord host)
    {
        lock (_writeLock)
        {
            using var cmd = Command("""
                INSERT INTO hosts(name, advertise, capacity, labels, last_seen, status) VALUES ($n, $a, $c, $l, $t, $s)
                ON CONFLICT(name) DO UPDATE SET advertise = $a, capacity = $c, labels = $l, last_seen = $t, status = $s
                """, null, ("$n", host.Name), ("$a", host.Advertise.ToString()), ("$c", host.Capacity), ("$l", StoredColumns.Labels(host.Labels)),
                ("$t", Time(host.LastSeen.ToUniversalTime())), ("$s", host.Status));
            cmd.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<HostRecord> ListHosts()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name, advertise, capacity, labels, last_seen, status FROM hosts ORDER BY name";
        using var r = cmd.ExecuteReader();
        var list = new List<HostRecord>();
        while (r.Read())
            list.Add(new HostRecord(r.GetString(0), new Uri(r.GetString(1)), r.GetInt32(2), StoredColumns.ParseLabels(r.GetString(3)),
                DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture), r.GetString(5)));
        return list;
    }

    public bool SetHostStatus(string name, string status, DateTimeOffset? seenBefore = null)
    {
        lock (_writeLock)
        {
            // Times are stored as round-trip UTC text of one width, so they compare as strings.
            using var cmd = seenBefore is { } before
                ? Command("UPDATE hosts SET status = $s WHERE name = $n AND status <> $s AND last_seen < $b", null, ("$s", status), ("$n", name), ("$b", Time(before.ToUniversalTime())))
                : Command("UPDATE hosts SET status = $s WHERE name = $n AND status <> $s", null, ("$s", status), ("$n", name));
            return cmd.ExecuteNonQuery() == 1;
        }
    }
}
