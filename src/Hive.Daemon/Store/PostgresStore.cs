using Hive.Core.Config;
using Npgsql;
using NpgsqlTypes;

namespace Hive.Daemon.Store;

/// <summary>
/// PostgreSQL state, for a controller whose state must outlive one machine (<c>database: "postgres://…"</c>). The same
/// contract as <see cref="SqliteStore"/>: every write is committed (and so durable) when the call returns. Times are
/// <c>timestamptz</c>, so they keep microseconds: stores truncate what they are given to that precision.
/// </summary>
public sealed partial class PostgresStore : IHiveStore
{
    private readonly NpgsqlDataSource _db;

    public PostgresStore(DatabaseUrl url)
    {
        if (!url.IsPostgres) throw new ArgumentException("not a PostgreSQL URL", nameof(url));
        Description = url.Redacted;
        _db = NpgsqlDataSource.Create(url.PostgresConnectionString!);
        try
        {
            SchemaVersion = Migrate();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            _db.Dispose();
            throw new InvalidOperationException($"database: {Description}: {e.Message}", e);
        }
    }

    public string Description { get; }
    public int SchemaVersion { get; }

    public IReadOnlyList<SandboxRecord> ListSandboxes()
    {
        using var cmd = _db.CreateCommand($"SELECT {SqliteStore.SandboxColumns} FROM sandboxes ORDER BY created_at, name");
        using var r = cmd.ExecuteReader();
        var list = new List<SandboxRecord>();
        while (r.Read()) list.Add(ReadSandbox(r));
        return list;
    }

    public SandboxRecord? FindSandbox(string name)
    {
        using var cmd = _db.CreateCommand($"SELECT {SqliteStore.SandboxColumns} FROM sandboxes WHERE name = @n");
        cmd.Parameters.AddWithValue("n", name);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadSandbox(r) : null;
    }

    public SandboxRecord? InsertSandbox(string name, SandboxConfig config, DateTimeOffset createdAt, int capacity)
    {
        createdAt = Micro(createdAt);
        using var c = _db.OpenConnection();
        using var tx = c.BeginTransaction();
        // Two controllers may create at once: the table lock makes the capacity check and the insert one step.
        Run(c, tx, "LOCK TABLE sandboxes IN SHARE ROW EXCLUSIVE MODE");
        if (Scalar(c, tx, "SELECT 1 FROM sandboxes WHERE name = @n", ("n", name)) is not null) return null;
        if ((long)Scalar(c, tx, "SELECT count(*) FROM sandboxes")! >= capacity) throw new InvalidOperationException($"no free network slot: the subnet holds {capacity} sandboxes");
        // The slot column is from before hosts kept their own slots: new rows write 0.
        Run(c, tx, "INSERT INTO sandboxes(name, config, status, created_at, slot) VALUES (@n, @c, @s, @t, 0)",
            ("n", name), ("c", StoredColumns.Config(config)), ("s", SandboxStatus.Creating), ("t", createdAt));
        tx.Commit();
        return new SandboxRecord(name, config, SandboxStatus.Creating, createdAt, 0);
    }

    public void UpdateSandbox(string name, string status, string? error = null, SandboxConfig? config = null)
    {
        using var c = _db.OpenConnection();
        if (config is null) Run(c, null, "UPDATE sandboxes SET status = @s, error = @e WHERE name = @n", ("s", status), ("e", error), ("n", name));
        else Run(c, null, "UPDATE sandboxes SET status = @s, error = @e, config = @c WHERE name = @n", ("s", status), ("e", error), ("n", name), ("c", StoredColumns.Config(config)));
    }

    public void UpdateSandboxConfig(string name, SandboxConfig config)
    {
        using var c = _db.OpenConnection();
        Run(c, null, "UPDATE sandboxes SET config = @c WHERE name = @n", ("n", name), ("c", StoredColumns.Config(config)));
    }

    public void DeleteSandbox(string name)
    {
        using var c = _db.OpenConnection();
        Run(c, null, "DELETE FROM sandboxes WHERE name = @n", ("n", name));
    }

    public string? GetMeta(string key)
    {
        using var c = _db.OpenConnection();
        return Scalar(c, null, "SELECT value FROM meta WHERE key = @k", ("k", key)) as string;
    }

    public void SetMeta(string key, string value)
    {
        using var c = _db.OpenConnection();
        Run(c, null, "INSERT INTO meta(key, value) VALUES (@k, @v) ON CONFLICT(key) DO UPDATE SET value = EXCLUDED.value", ("k", key), ("v", value));
    }

    public void Dispose() => _db.Dispose();

    /// <summary>timestamptz keeps microseconds: what is stored is what is returned, on both stores.</summary>
    internal static DateTimeOffset Micro(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);

    private static SandboxRecord ReadSandbox(NpgsqlDataReader r)
    {
        var name = r.GetString(0);
        return new SandboxRecord(name, StoredColumns.ParseConfig(name, r.GetString(1)), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3),
            r.GetInt32(4), r.IsDBNull(5) ? null : r.GetString(5))
        {
            Host = r.IsDBNull(6) ? null : r.GetString(6),
            LastActive = r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        };
    }

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var (n, v) in args)
            cmd.Parameters.Add(v switch
            {
                DateTimeOffset t => new NpgsqlParameter(n, NpgsqlDbType.TimestampTz) { Value = Micro(t) },
                NpgsqlParameter typed => Named(typed, n),
                null => new NpgsqlParameter(n, NpgsqlDbType.Text) { Value = DBNull.Value },
                _ => new NpgsqlParameter(n, v),
            });
        return cmd;
    }

    /// <summary>A time that may be null, as a typed parameter (an untyped null would not be a timestamptz).</summary>
    private static NpgsqlParameter TimeOrNull(DateTimeOffset? t) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = t is { } v ? Micro(v) : DBNull.Value };

    private static NpgsqlParameter Named(NpgsqlParameter p, string name)
    {
        p.ParameterName = name;
        return p;
    }

    private static int Run(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }
}
