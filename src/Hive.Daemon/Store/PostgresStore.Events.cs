using Npgsql;
using NpgsqlTypes;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    private const string Columns = "id, ts, sandbox, type, data";

    // A whole batch in one statement (arrays bound once), and its secret.* events as activity rows in the same transaction.
    private const string InsertBatch = $"INSERT INTO events({Columns}) SELECT * FROM unnest(@id, @ts, @sandbox, @type, @data)";
    private const string InsertActivityBatch = """
        INSERT INTO secret_activity(id, secret, ts, sandbox, kind, method, host, path, status, upstream_status, duration_ms, error)
        SELECT id, d->>'secret', ts, sandbox, substr(type, 8), d->>'method', d->>'host', d->>'path',
               (d->>'status')::integer, (d->>'upstreamStatus')::integer, (d->>'durationMs')::bigint, d->>'error'
        FROM (SELECT id, ts, sandbox, type, data::jsonb AS d FROM unnest(@id, @ts, @sandbox, @type, @data) AS t(id, ts, sandbox, type, data)) e
        WHERE d->>'secret' IS NOT NULL
        ON CONFLICT (id) DO NOTHING
        """;

    public long LastEventId()
    {
        using var c = _db.OpenConnection();
        return (long)Scalar(c, null, "SELECT COALESCE(MAX(id), 0) FROM events")!;
    }

    public long FirstEventId()
    {
        using var c = _db.OpenConnection();
        return (long)Scalar(c, null, "SELECT COALESCE(MIN(id), 0) FROM events")!;
    }

    public void InsertEvents(IReadOnlyList<StoredEvent> batch)
    {
        if (batch.Count == 0) return;
        using var c = _db.OpenConnection();
        // One round trip: the statements of a batch run in one implicit transaction (both stored, or neither).
        using var statements = new NpgsqlBatch(c);
        statements.BatchCommands.Add(BatchCommand(InsertBatch, batch));
        var secrets = batch.Where(e => e.Type.StartsWith("secret.", StringComparison.Ordinal)).ToList();
        if (secrets.Count > 0) statements.BatchCommands.Add(BatchCommand(InsertActivityBatch, secrets));
        statements.ExecuteNonQuery();
    }

    // The same queries as SQLite's (EventPageSql), along the same indexes: a type-filtered page is a Merge Append of one
    // limited index scan per type, stopped at the limit.
    public IReadOnlyList<StoredEvent> ReadEvents(string? sandbox, long after, int limit, IReadOnlyCollection<string>? types = null)
    {
        if (types is { Count: 0 }) return [];
        using var c = _db.OpenConnection();
        return Query(c, sandbox, types, after, limit, before: false);
    }

    public IReadOnlyList<StoredEvent> ReadEventsBefore(string? sandbox, long before, int limit, IReadOnlyCollection<string>? types = null)
    {
        if (types is { Count: 0 }) return [];
        using var c = _db.OpenConnection();
        var page = Query(c, sandbox, types, before, limit, before: true);
        page.Reverse();
        return page;
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, IReadOnlyList<StoredEvent> batch)
    {
        var n = batch.Count;
        var (ids, ts, sandboxes, types, data) = (new long[n], new DateTime[n], new string[n], new string[n], new string[n]);
        for (var i = 0; i < n; i++)
        {
            var e = batch[i];
            (ids[i], ts[i], sandboxes[i], types[i], data[i]) = (e.Id, Micro(e.Ts).UtcDateTime, e.Sandbox, e.Type, e.Data);
        }
        var cmd = new NpgsqlBatchCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ids });
        cmd.Parameters.Add(new NpgsqlParameter("ts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = ts });
        cmd.Parameters.Add(new NpgsqlParameter("sandbox", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = sandboxes });
        cmd.Parameters.Add(new NpgsqlParameter("type", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = types });
        cmd.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = data });
        return cmd;
    }

    private static List<StoredEvent> Query(NpgsqlConnection c, string? sandbox, IReadOnlyCollection<string>? types, long bound, int limit, bool before)
    {
        using var cmd = new NpgsqlCommand(EventPageSql.Page('@', sandbox is not null, types?.Count ?? 0, before, orderEachArm: true), c);
        cmd.Parameters.AddWithValue("a", bound);
        cmd.Parameters.AddWithValue("l", limit);
        if (sandbox is not null) cmd.Parameters.AddWithValue("s", sandbox);
        var i = 0;
        foreach (var type in types ?? []) cmd.Parameters.AddWithValue(EventPageSql.TypeParameter(i++), type);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredEvent>(Math.Min(limit, 1000));
        while (r.Read())
            list.Add(new StoredEvent(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.GetString(3), r.GetString(4)));
        return list;
    }
}
