using Hive.Core.Secrets;
using Npgsql;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    private const string SecretColumns = "scope, name, global, provider, hosts, auth, value, created_at, rotated_at";

    public IReadOnlyList<SecretRecord> ListSecrets()
    {
        using var c = _db.OpenConnection();
        using var cmd = Command(c, null, $"SELECT {SecretColumns} FROM secrets ORDER BY name, scope");
        return ReadSecrets(cmd);
    }

    public IReadOnlyList<SecretRecord> FindSecrets(string name)
    {
        using var c = _db.OpenConnection();
        using var cmd = Command(c, null, $"SELECT {SecretColumns} FROM secrets WHERE name = @n ORDER BY scope", ("n", name));
        return ReadSecrets(cmd);
    }

    public bool UpsertSecret(SecretRecord s)
    {
        using var c = _db.OpenConnection();
        // xmax is 0 on a row this statement inserted, and set on one it updated.
        return (bool)Scalar(c, null, $"""
            INSERT INTO secrets({SecretColumns}) VALUES (@s, @n, @g, @p, @h, @a, @v, @c, @r)
            ON CONFLICT(scope, name) DO UPDATE SET global = @g, provider = @p, hosts = @h, auth = @a, value = @v, rotated_at = @r
            RETURNING (xmax = 0)
            """, ("s", s.Scope), ("n", s.Name), ("g", s.Global), ("p", s.Provider), ("h", StoredColumns.HostsJson(s.Hosts)),
            ("a", StoredColumns.AuthJson(s.Auth)), ("v", s.Sealed), ("c", s.CreatedAt), ("r", TimeOrNull(s.RotatedAt)))!;
    }

    public bool RotateSecret(string scope, string name, byte[] sealedValue, DateTimeOffset at)
    {
        using var c = _db.OpenConnection();
        return Run(c, null, "UPDATE secrets SET value = @v, rotated_at = @r WHERE scope = @s AND name = @n",
            ("v", sealedValue), ("r", at), ("s", scope), ("n", name)) > 0;
    }

    public bool DeleteSecret(string scope, string name)
    {
        using var c = _db.OpenConnection();
        using var tx = c.BeginTransaction();
        var deleted = Run(c, tx, "DELETE FROM secrets WHERE scope = @s AND name = @n", ("s", scope), ("n", name)) > 0;
        if (deleted && scope.Length == 0) Run(c, tx, "UPDATE secret_standins SET auto = false WHERE secret = @n", ("n", name));
        tx.Commit();
        return deleted;
    }

    public IReadOnlyList<StandInRecord> ListStandIns(string sandbox)
    {
        using var c = _db.OpenConnection();
        using var cmd = Command(c, null, "SELECT sandbox, secret, stand_in, auto FROM secret_standins WHERE sandbox = @s ORDER BY created_at, secret", ("s", sandbox));
        using var r = cmd.ExecuteReader();
        var list = new List<StandInRecord>();
        while (r.Read()) list.Add(new StandInRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetBoolean(3)));
        return list;
    }

    public string EnsureStandIn(string sandbox, string secret, string standIn, bool auto)
    {
        using var c = _db.OpenConnection();
        return (string)Scalar(c, null, """
            INSERT INTO secret_standins(sandbox, secret, stand_in, auto, created_at) VALUES (@s, @n, @i, @a, @t)
            ON CONFLICT(sandbox, secret) DO UPDATE SET auto = secret_standins.auto OR EXCLUDED.auto
            RETURNING stand_in
            """, ("s", sandbox), ("n", secret), ("i", standIn), ("a", auto), ("t", DateTimeOffset.UtcNow))!;
    }

    public void DeleteSandboxSecrets(string sandbox)
    {
        using var c = _db.OpenConnection();
        using var tx = c.BeginTransaction();
        Run(c, tx, "DELETE FROM secret_standins WHERE sandbox = @s", ("s", sandbox));
        Run(c, tx, "DELETE FROM secrets WHERE scope = @s", ("s", sandbox));
        tx.Commit();
    }

    public IReadOnlyList<SecretActivityRecord> ReadActivity(string secret, string? sandbox, ActivityStatusFilter? status, long? before, int limit)
    {
        var where = "secret = @n";
        var args = new List<(string, object?)> { ("n", secret), ("l", limit) };
        if (sandbox is not null) { where += " AND sandbox = @s"; args.Add(("s", sandbox)); }
        if (status is { } f) { where += " AND status BETWEEN @lo AND @hi"; args.Add(("lo", f.Min)); args.Add(("hi", f.Max)); }
        if (before is { } b) { where += " AND id < @b"; args.Add(("b", b)); }
        using var c = _db.OpenConnection();
        using var cmd = Command(c, null,
            $"SELECT id, ts, secret, sandbox, kind, method, host, path, status, upstream_status, duration_ms, error FROM secret_activity WHERE {where} ORDER BY id DESC LIMIT @l",
            [.. args]);
        using var r = cmd.ExecuteReader();
        var list = new List<SecretActivityRecord>();
        while (r.Read())
            list.Add(new SecretActivityRecord(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.GetString(3), r.GetString(4),
                Str(r, 5), Str(r, 6), Str(r, 7), r.IsDBNull(8) ? null : r.GetInt32(8), r.IsDBNull(9) ? null : r.GetInt32(9),
                r.IsDBNull(10) ? null : r.GetInt64(10), Str(r, 11)));
        return list;
    }

    private static IReadOnlyList<SecretRecord> ReadSecrets(NpgsqlCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<SecretRecord>();
        while (r.Read())
            list.Add(new SecretRecord(r.GetString(0), r.GetString(1), r.GetBoolean(2), Str(r, 3), StoredColumns.ParseHosts(Str(r, 4)),
                StoredColumns.ParseAuth(Str(r, 5)), r.GetFieldValue<byte[]>(6), r.GetFieldValue<DateTimeOffset>(7),
                r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8)));
        return list;
    }

    private static string? Str(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
