using System.Globalization;
using Hive.Core.Secrets;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Hive.Daemon.Store;

/// <summary>Secrets, stand-ins and the activity log (derived from secret.* events in the same transaction).</summary>
public sealed partial class SqliteStore
{
    private const string SecretTables = """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS secrets (
          scope TEXT NOT NULL, name TEXT NOT NULL, global INTEGER NOT NULL, provider TEXT, hosts TEXT, auth TEXT,
          value BLOB NOT NULL, created_at TEXT NOT NULL, rotated_at TEXT, PRIMARY KEY (scope, name));
        CREATE TABLE IF NOT EXISTS secret_standins (
          sandbox TEXT NOT NULL, secret TEXT NOT NULL, stand_in TEXT NOT NULL, auto INTEGER NOT NULL, created_at TEXT NOT NULL,
          PRIMARY KEY (sandbox, secret));
        CREATE TABLE IF NOT EXISTS secret_activity (
          id INTEGER PRIMARY KEY, secret TEXT NOT NULL, ts TEXT NOT NULL, sandbox TEXT NOT NULL, kind TEXT NOT NULL,
          method TEXT, host TEXT, path TEXT, status INTEGER, upstream_status INTEGER, duration_ms INTEGER, error TEXT);
        CREATE INDEX IF NOT EXISTS secret_activity_secret ON secret_activity(secret, id);
        """;

    public string? GetMeta(string key)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    public void SetMeta(string key, string value)
    {
        lock (_writeLock)
        {
            using var cmd = Command("INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = $v", null, ("$k", key), ("$v", value));
            cmd.ExecuteNonQuery();
        }
    }

    private const string SecretColumns = "scope, name, global, provider, hosts, auth, value, created_at, rotated_at";

    public IReadOnlyList<SecretRecord> ListSecrets()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {SecretColumns} FROM secrets ORDER BY name, scope";
        return ReadSecrets(cmd);
    }

    /// <summary>Secrets named <paramref name="name"/> in every scope.</summary>
    public IReadOnlyList<SecretRecord> FindSecrets(string name)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {SecretColumns} FROM secrets WHERE name = $n ORDER BY scope";
        cmd.Parameters.AddWithValue("$n", name);
        return ReadSecrets(cmd);
    }

    /// <summary>Inserts or replaces a secret (keeping its creation time). True when it was created.</summary>
    public bool UpsertSecret(SecretRecord s)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var exists = Command("SELECT 1 FROM secrets WHERE scope = $s AND name = $n", tx, ("$s", s.Scope), ("$n", s.Name));
            var created = exists.ExecuteScalar() is null;
            using var cmd = Command($"""
                INSERT INTO secrets({SecretColumns}) VALUES ($s, $n, $g, $p, $h, $a, $v, $c, $r)
                ON CONFLICT(scope, name) DO UPDATE SET global = $g, provider = $p, hosts = $h, auth = $a, value = $v, rotated_at = $r
                """, tx, ("$s", s.Scope), ("$n", s.Name), ("$g", s.Global ? 1 : 0), ("$p", s.Provider), ("$h", StoredColumns.HostsJson(s.Hosts)),
                ("$a", StoredColumns.AuthJson(s.Auth)), ("$v", s.Sealed), ("$c", Time(s.CreatedAt)), ("$r", s.RotatedAt is { } r ? Time(r) : null));
            cmd.ExecuteNonQuery();
            tx.Commit();
            return created;
        }
    }

    public bool RotateSecret(string scope, string name, byte[] sealedValue, DateTimeOffset at)
    {
        lock (_writeLock)
        {
            using var cmd = Command("UPDATE secrets SET value = $v, rotated_at = $r WHERE scope = $s AND name = $n", null,
                ("$v", sealedValue), ("$r", Time(at)), ("$s", scope), ("$n", name));
            return cmd.ExecuteNonQuery() > 0;
        }
    }

    /// <summary>Deletes a secret. A global one stops being bound by scope: its stand-ins stay, revoked.</summary>
    public bool DeleteSecret(string scope, string name)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var cmd = Command("DELETE FROM secrets WHERE scope = $s AND name = $n", tx, ("$s", scope), ("$n", name));
            var deleted = cmd.ExecuteNonQuery() > 0;
            if (deleted && scope.Length == 0)
            {
                using var auto = Command("UPDATE secret_standins SET auto = 0 WHERE secret = $n", tx, ("$n", name));
                auto.ExecuteNonQuery();
            }
            tx.Commit();
            return deleted;
        }
    }

    public IReadOnlyList<StandInRecord> ListStandIns(string sandbox)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT sandbox, secret, stand_in, auto FROM secret_standins WHERE sandbox = $s ORDER BY created_at, secret";
        cmd.Parameters.AddWithValue("$s", sandbox);
        using var r = cmd.ExecuteReader();
        var list = new List<StandInRecord>();
        while (r.Read()) list.Add(new StandInRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3) != 0));
        return list;
    }

    /// <summary>Stores a stand-in unless the sandbox already has one for the secret; returns the one in force.</summary>
    public string EnsureStandIn(string sandbox, string secret, string standIn, bool auto)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var insert = Command("""
                INSERT INTO secret_standins(sandbox, secret, stand_in, auto, created_at) VALUES ($s, $n, $i, $a, $t)
                ON CONFLICT(sandbox, secret) DO UPDATE SET auto = MAX(auto, $a)
                """, tx, ("$s", sandbox), ("$n", secret), ("$i", standIn), ("$a", auto ? 1 : 0), ("$t", Time(DateTimeOffset.UtcNow)));
            insert.ExecuteNonQuery();
            using var read = Command("SELECT stand_in FROM secret_standins WHERE sandbox = $s AND secret = $n", tx, ("$s", sandbox), ("$n", secret));
            var inForce = (string)read.ExecuteScalar()!;
            tx.Commit();
            return inForce;
        }
    }

    /// <summary>Removes a sandbox's stand-ins and the secrets scoped to it.</summary>
    public void DeleteSandboxSecrets(string sandbox)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var a = Command("DELETE FROM secret_standins WHERE sandbox = $s", tx, ("$s", sandbox));
            a.ExecuteNonQuery();
            using var b = Command("DELETE FROM secrets WHERE scope = $s", tx, ("$s", sandbox));
            b.ExecuteNonQuery();
            tx.Commit();
        }
    }

    /// <summary>Activity of a secret name, newest first; ids below <paramref name="before"/> when given.</summary>
    public IReadOnlyList<SecretActivityRecord> ReadActivity(string secret, string? sandbox, ActivityStatusFilter? status, long? before, int limit)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        var where = "secret = $n";
        cmd.Parameters.AddWithValue("$n", secret);
        if (sandbox is not null) { where += " AND sandbox = $s"; cmd.Parameters.AddWithValue("$s", sandbox); }
        if (status is { } f) { where += " AND status BETWEEN $lo AND $hi"; cmd.Parameters.AddWithValue("$lo", f.Min); cmd.Parameters.AddWithValue("$hi", f.Max); }
        if (before is { } b) { where += " AND id < $b"; cmd.Parameters.AddWithValue("$b", b); }
        cmd.CommandText = $"SELECT id, ts, secret, sandbox, kind, method, host, path, status, upstream_status, duration_ms, error FROM secret_activity WHERE {where} ORDER BY id DESC LIMIT $l";
        cmd.Parameters.AddWithValue("$l", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<SecretActivityRecord>();
        while (r.Read())
            list.Add(new SecretActivityRecord(r.GetInt64(0), DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture), r.GetString(2), r.GetString(3),
                r.GetString(4), Str(r, 5), Str(r, 6), Str(r, 7), r.IsDBNull(8) ? null : r.GetInt32(8), r.IsDBNull(9) ? null : r.GetInt32(9),
                r.IsDBNull(10) ? null : r.GetInt64(10), Str(r, 11)));
        return list;
    }

    /// <summary>Called inside the event batch's transaction: a secret.* event is also one row of its secret's activity.</summary>
    private sqlite3_stmt? _insertActivity; // prepared once on the writer connection, like the event insert

    /// <summary>The activity row of a secret.* event, in the event's transaction (the caller holds the write lock).</summary>
    private void InsertActivity(StoredEvent e, ReadOnlySpan<byte> ts)
    {
        var insert = _insertActivity ??= Prepare("""
            INSERT OR IGNORE INTO secret_activity(id, secret, ts, sandbox, kind, method, host, path, status, upstream_status, duration_ms, error)
            SELECT ?1, json_extract(?2, '$.secret'), ?3, ?4, ?5, json_extract(?2, '$.method'), json_extract(?2, '$.host'), json_extract(?2, '$.path'),
                   json_extract(?2, '$.status'), json_extract(?2, '$.upstreamStatus'), json_extract(?2, '$.durationMs'), json_extract(?2, '$.error')
            WHERE json_extract(?2, '$.secret') IS NOT NULL
            """);
        Check(raw.sqlite3_bind_int64(insert, 1, e.Id));
        BindText(insert, 2, e.Data);
        Check(raw.sqlite3_bind_text(insert, 3, ts));
        BindText(insert, 4, e.Sandbox);
        BindText(insert, 5, e.Type["secret.".Length..]);
        var rc = raw.sqlite3_step(insert);
        raw.sqlite3_reset(insert);
        if (rc != raw.SQLITE_DONE) Check(rc);
    }

    private static IReadOnlyList<SecretRecord> ReadSecrets(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<SecretRecord>();
        while (r.Read())
        {
            list.Add(new SecretRecord(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, Str(r, 3), StoredColumns.ParseHosts(Str(r, 4)), StoredColumns.ParseAuth(Str(r, 5)),
                (byte[])r.GetValue(6), DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture),
                r.IsDBNull(8) ? null : DateTimeOffset.Parse(r.GetString(8), CultureInfo.InvariantCulture)));
        }
        return list;
    }

    private static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static string Time(DateTimeOffset t) => t.ToString("O", CultureInfo.InvariantCulture);
}
