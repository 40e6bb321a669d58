using System.Globalization;
using Hive.Core.Config;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Hive.Daemon.Store;

/// <summary>
/// SQLite state: sandboxes, secrets (sealed values, stand-ins, activity) and the event log. WAL with one writer connection; a commit is durable
/// against a process crash (synchronous=NORMAL loses nothing unless the machine itself goes down).
/// </summary>
public sealed partial class SqliteStore : IHiveStore
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _writeLock = new();
    private sqlite3_stmt? _insertEvent; // prepared once on the writer connection: batches are often a single event

    public SqliteStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        Description = $"sqlite {path}";
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        SchemaVersion = Migrate();
    }

    public string Description { get; }
    public int SchemaVersion { get; }

    /// <summary>
    /// The schema, one script per version. Version 1 is the schema from before versions were recorded, written with
    /// IF NOT EXISTS so that such a database is adopted as it is. Append new versions; never edit a released one.
    /// </summary>
    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS sandboxes (
          name TEXT PRIMARY KEY, config TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
          slot INTEGER NOT NULL UNIQUE, error TEXT);
        -- Event ids are assigned in order by the event writer: no AUTOINCREMENT bookkeeping per insert.
        CREATE TABLE IF NOT EXISTS events (
          id INTEGER PRIMARY KEY, ts TEXT NOT NULL, sandbox TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS events_sandbox ON events(sandbox, id);
        -- ?types= reads one type at a time through these (id is the rowid: the index is ordered by it within a type).
        CREATE INDEX IF NOT EXISTS events_type ON events(type, id);
        CREATE INDEX IF NOT EXISTS events_sandbox_type ON events(sandbox, type, id);
        """ + SecretTables,
        LlmBodyTable,
        ClusterTables,
        HostEventTables,
        ActivityColumn,
    ];

    private int Migrate()
    {
        Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
        using var current = Command("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", null);
        var version = (int)(long)current.ExecuteScalar()!;
        if (version > Migrations.Length)
            throw new InvalidOperationException($"{Description}: the database is at schema version {version}, newer than this hive knows ({Migrations.Length}); run the newer hive");
        for (; version < Migrations.Length; version++)
        {
            using var tx = _writer.BeginTransaction();
            using (var script = Command(Migrations[version], tx)) script.ExecuteNonQuery();
            using (var mark = Command("INSERT INTO schema_migrations(version, applied_at) VALUES ($v, $t)", tx,
                       ("$v", version + 1), ("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture))))
                mark.ExecuteNonQuery();
            tx.Commit();
        }
        return version;
    }

    public IReadOnlyList<SandboxRecord> ListSandboxes()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {SandboxColumns} FROM sandboxes ORDER BY created_at, name";
        using var r = cmd.ExecuteReader();
        var list = new List<SandboxRecord>();
        while (r.Read()) list.Add(ReadSandbox(r));
        return list;
    }

    public SandboxRecord? FindSandbox(string name)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {SandboxColumns} FROM sandboxes WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadSandbox(r) : null;
    }

    public SandboxRecord? InsertSandbox(string name, SandboxConfig config, DateTimeOffset createdAt, int capacity)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var exists = Command("SELECT 1 FROM sandboxes WHERE name = $n", tx, ("$n", name));
            if (exists.ExecuteScalar() is not null) return null;
            using var count = Command("SELECT COUNT(*) FROM sandboxes", tx);
            if ((long)count.ExecuteScalar()! >= capacity) throw new InvalidOperationException($"no free network slot: the subnet holds {capacity} sandboxes");
            // The slot column is from before hosts kept their own slots: new rows write 0.
            using var insert = Command("INSERT INTO sandboxes(name, config, status, created_at, slot) VALUES ($n, $c, $s, $t, 0)", tx,
                ("$n", name), ("$c", StoredColumns.Config(config)), ("$s", SandboxStatus.Creating),
                ("$t", createdAt.ToString("O", CultureInfo.InvariantCulture)));
            insert.ExecuteNonQuery();
            tx.Commit();
            return new SandboxRecord(name, config, SandboxStatus.Creating, createdAt, 0);
        }
    }

    public void UpdateSandbox(string name, string status, string? error = null, SandboxConfig? config = null)
    {
        lock (_writeLock)
        {
            using var cmd = config is null
                ? Command("UPDATE sandboxes SET status = $s, error = $e WHERE name = $n", null, ("$s", status), ("$e", error), ("$n", name))
                : Command("UPDATE sandboxes SET status = $s, error = $e, config = $c WHERE name = $n", null,
                    ("$s", status), ("$e", error), ("$n", name), ("$c", StoredColumns.Config(config)));
            cmd.ExecuteNonQuery();
        }
    }

    public void UpdateSandboxConfig(string name, SandboxConfig config)
    {
        lock (_writeLock)
        {
            using var cmd = Command("UPDATE sandboxes SET config = $c WHERE name = $n", null, ("$n", name), ("$c", StoredColumns.Config(config)));
            cmd.ExecuteNonQuery();
        }
    }

    public void DeleteSandbox(string name)
    {
        lock (_writeLock)
        {
            using var cmd = Command("DELETE FROM sandboxes WHERE name = $n", null, ("$n", name));
            cmd.ExecuteNonQuery();
        }
    }

    public long LastEventId()
    {
        lock (_writeLock)
        {
            using var cmd = Command("SELECT COALESCE(MAX(id), 0) FROM events", null);
            return (long)cmd.ExecuteScalar()!;
        }
    }

    public IReadOnlyList<StoredEvent> InsertEvents(IReadOnlyList<StoredEvent> batch)
    {
        lock (_writeLock)
        {
            if (HasOrigins(batch)) return InsertHostEvents(batch);
            using var tx = _writer.BeginTransaction();
            // Bound straight through SQLite's C API (same connection, so inside the transaction): the ADO.NET command
            // allocates binders, a reader and boxed values per row, and the proxy writes two rows per request. Text goes in
            // as UTF-8 (the database's encoding), so SQLite neither converts it nor copies it twice.
            var insert = _insertEvent ??= Prepare("INSERT INTO events(id, ts, sandbox, type, data) VALUES (?1, ?2, ?3, ?4, ?5)");
            Span<byte> ts = stackalloc byte[48];
            foreach (var e in batch)
            {
                if (!e.Ts.TryFormat(ts, out var tsLength, "O", CultureInfo.InvariantCulture)) throw new InvalidOperationException($"event {e.Id}: timestamp does not format");
                Check(raw.sqlite3_bind_int64(insert, 1, e.Id));
                Check(raw.sqlite3_bind_text(insert, 2, ts[..tsLength]));
                BindText(insert, 3, e.Sandbox);
                BindText(insert, 4, e.Type);
                BindText(insert, 5, e.Data);
                var rc = raw.sqlite3_step(insert);
                raw.sqlite3_reset(insert);
                if (rc != raw.SQLITE_DONE) Check(rc);
                if (e.Type.StartsWith("secret.", StringComparison.Ordinal)) InsertActivity(e, ts[..tsLength]);
            }
            tx.Commit();
            return batch;
        }
    }

    private byte[] _utf8 = new byte[4096]; // the writer's scratch for text parameters (under _writeLock)

    /// <summary>Binds <paramref name="text"/> as UTF-8; SQLite copies it (SQLITE_TRANSIENT), so the scratch is reused at once.</summary>
    private void BindText(sqlite3_stmt statement, int index, string text)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max > _utf8.Length) _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        var length = System.Text.Encoding.UTF8.GetBytes(text, _utf8);
        Check(raw.sqlite3_bind_text(statement, index, _utf8.AsSpan(0, length)));
        if (_utf8.Length > 1024 * 1024) _utf8 = new byte[4096]; // a rare huge event does not stay pinned to the store
    }

    /// <summary>
    /// Events after <paramref name="after"/> in id order, at most <paramref name="limit"/>. With <paramref name="types"/>, only
    /// those types: one indexed search per type, merged by id as they are read (<see cref="EventPageSql"/>), so a rare type
    /// costs what its own events cost, not a scan of the log.
    /// </summary>
    public IReadOnlyList<StoredEvent> ReadEvents(string? sandbox, long after, int limit, IReadOnlyCollection<string>? types = null)
    {
        if (types is { Count: 0 }) return [];
        using var c = Open();
        return Query(c, sandbox, types, after, limit, before: false);
    }

    private static List<StoredEvent> Query(SqliteConnection c, string? sandbox, IReadOnlyCollection<string>? types, long bound, int limit, bool before)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = EventPageSql.Page('$', sandbox is not null, types?.Count ?? 0, before);
        cmd.Parameters.AddWithValue("$a", bound);
        cmd.Parameters.AddWithValue("$l", limit);
        if (sandbox is not null) cmd.Parameters.AddWithValue("$s", sandbox);
        var i = 0;
        foreach (var type in types ?? []) cmd.Parameters.AddWithValue("$" + EventPageSql.TypeParameter(i++), type);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredEvent>(Math.Min(limit, 1000));
        while (r.Read())
            list.Add(new StoredEvent(r.GetInt64(0), DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture), r.GetString(2), r.GetString(3), r.GetString(4)));
        return list;
    }

    public void Dispose()
    {
        _insertEvent?.Dispose();
        _insertHostEvent?.Dispose();
        _insertActivity?.Dispose();
        _writer.Dispose();
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    private static SandboxRecord ReadSandbox(SqliteDataReader r)
    {
        var name = r.GetString(0);
        return new SandboxRecord(name, StoredColumns.ParseConfig(name, r.GetString(1)), r.GetString(2), DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture),
            r.GetInt32(4), r.IsDBNull(5) ? null : r.GetString(5))
        {
            Host = r.IsDBNull(6) ? null : r.GetString(6),
            LastActive = r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        };
    }

    private void Execute(string sql)
    {
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_writer.Handle, sql, out var stmt));
        return stmt;
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_writer.Handle).utf8_to_string()}'.", rc);
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx, params (string Name, object? Value)[] args)
    {
        var cmd = _writer.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return cmd;
    }
}
