using Hive.Daemon.Events;
using Npgsql;
using NpgsqlTypes;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    /// <summary>Held by the transaction that numbers and stores a batch: any constant, "hive events".</summary>
    internal const long EventLockKey = PostgresLocks.EventIds;

    /// <summary>Where a commit tells the other controllers that the log grew (the payload is the last id stored).</summary>
    internal const string EventChannel = "hive_events";

    // A whole batch in one statement (arrays bound once), and its secret.* events as activity rows in the same transaction.
    private const string InsertBatch = $"INSERT INTO events({Columns}) SELECT * FROM unnest(@id, @ts, @sandbox, @type, @data)";
    private const string InsertHostBatch = $"INSERT INTO events({Columns}, origin, origin_seq) SELECT * FROM unnest(@id, @ts, @sandbox, @type, @data, @origin, @seq)";
    private const string InsertActivityBatch = """
        INSERT INTO secret_activity(id, secret, ts, sandbox, kind, method, host, path, status, upstream_status, duration_ms, error)
        SELECT id, d->>'secret', ts, sandbox, substr(type, 8), d->>'method', d->>'host', d->>'path',
               (d->>'status')::integer, (d->>'upstreamStatus')::integer, (d->>'durationMs')::bigint, d->>'error'
        FROM (SELECT id, ts, sandbox, type, data::jsonb AS d FROM unnest(@id, @ts, @sandbox, @type, @data) AS t(id, ts, sandbox, type, data)) e
        WHERE d->>'secret' IS NOT NULL
        ON CONFLICT (id) DO NOTHING
        """;
    private const string RaiseMarks = """
        INSERT INTO event_sources(source, seq) SELECT * FROM unnest(@source, @seq)
        ON CONFLICT (source) DO UPDATE SET seq = GREATEST(event_sources.seq, EXCLUDED.seq)
        """;

    /// <summary>Several controllers may write one database: ids are assigned here.</summary>
    public bool SharedEventLog => true;

    /// <summary>
    /// Numbers and stores a batch. Ids are assigned inside the transaction, under a transaction-level advisory lock, above
    /// the last stored one (<see cref="EventBatchIds.Assign"/>); the lock is released only by the commit, so the next writer's numbering
    /// (a new statement, a new snapshot) sees this batch. Hence an id that is visible implies every lower id is already
    /// visible: a reader going by id never skips an event that commits later. The NOTIFY is delivered at the commit.
    /// Two round trips: BEGIN, lock and lookups; inserts and COMMIT (plain SQL, rolled back on any failure, so the
    /// connection goes back to the pool outside a transaction).
    /// </summary>
    public IReadOnlyList<StoredEvent> InsertEvents(IReadOnlyList<StoredEvent> batch)
    {
        if (batch.Count == 0) return batch;
        var plan = new EventBatchIds(batch);
        using var c = _db.OpenConnection();
        try
        {
            return InsertEvents(c, plan);
        }
        catch
        {
            try
            {
                using var rollback = new NpgsqlCommand("ROLLBACK", c);
                rollback.ExecuteNonQuery();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { } // a broken connection is not pooled again
            throw;
        }
    }

    private static IReadOnlyList<StoredEvent> InsertEvents(NpgsqlConnection c, EventBatchIds plan)
    {
        long last;
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        var stored = new Dictionary<(string, long), long>();
        using (var first = new NpgsqlBatch(c))
        {
            first.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            first.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({EventLockKey})"));
            first.BatchCommands.Add(new NpgsqlBatchCommand("SELECT COALESCE(MAX(id), 0) FROM events"));
            if (plan.Sources.Count > 0)
            {
                var marksQuery = new NpgsqlBatchCommand("SELECT source, seq FROM event_sources WHERE source = ANY(@s)");
                marksQuery.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = plan.Sources.ToArray() });
                first.BatchCommands.Add(marksQuery);
            }
            if (plan.OutsideRefs.Count > 0)
            {
                var refs = new NpgsqlBatchCommand("""
                    SELECT e.origin, e.origin_seq, e.id FROM events e JOIN unnest(@o, @q) AS r(o, q) ON e.origin = r.o AND e.origin_seq = r.q
                    """);
                refs.Parameters.Add(new NpgsqlParameter("o", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = plan.OutsideRefs.Select(r => r.Source).ToArray() });
                refs.Parameters.Add(new NpgsqlParameter("q", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = plan.OutsideRefs.Select(r => r.Seq).ToArray() });
                first.BatchCommands.Add(refs);
            }
            using var r = first.ExecuteReader();
            r.NextResult();
            r.Read();
            last = r.GetInt64(0);
            if (plan.Sources.Count > 0)
            {
                r.NextResult();
                while (r.Read()) marks[r.GetString(0)] = r.GetInt64(1);
            }
            if (plan.OutsideRefs.Count > 0)
            {
                r.NextResult();
                while (r.Read()) stored[(r.GetString(0), r.GetInt64(1))] = r.GetInt64(2);
            }
        }
        var result = plan.Assign(last, marks, stored);
        using (var writes = new NpgsqlBatch(c))
        {
            if (result.Events.Count == 0)
            {
                writes.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                writes.ExecuteNonQuery();
                return result.Events;
            }
            var events = result.Events;
            writes.BatchCommands.Add(plan.Sources.Count > 0 ? HostBatchCommand(events) : BatchCommand(InsertBatch, events));
            var secrets = events.Where(e => e.Type.StartsWith("secret.", StringComparison.Ordinal)).ToList();
            if (secrets.Count > 0) writes.BatchCommands.Add(BatchCommand(InsertActivityBatch, secrets));
            if (result.Marks.Count > 0)
            {
                var raise = new NpgsqlBatchCommand(RaiseMarks);
                raise.Parameters.Add(new NpgsqlParameter("source", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = result.Marks.Keys.ToArray() });
                raise.Parameters.Add(new NpgsqlParameter("seq", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = result.Marks.Values.ToArray() });
                writes.BatchCommands.Add(raise);
            }
            foreach (var (sandbox, requestId, bodies) in result.Bodies)
            {
                var body = new NpgsqlBatchCommand(UpsertLlmBodies);
                foreach (var p in LlmBodyParameters(sandbox, requestId, bodies)) body.Parameters.Add(p);
                writes.BatchCommands.Add(body);
            }
            var notify = new NpgsqlBatchCommand($"SELECT pg_notify('{EventChannel}', @last)");
            notify.Parameters.Add(new NpgsqlParameter("last", NpgsqlDbType.Text) { Value = events[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            writes.BatchCommands.Add(notify);
            writes.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            writes.ExecuteNonQuery();
        }
        return result.Events;
    }

    public long HostEventMark(string source)
    {
        using var c = _db.OpenConnection();
        return Scalar(c, null, "SELECT seq FROM event_sources WHERE source = @s", ("s", source)) is long seq ? seq : 0;
    }

    private static NpgsqlBatchCommand HostBatchCommand(IReadOnlyList<StoredEvent> batch)
    {
        var cmd = BatchCommand(InsertHostBatch, batch);
        cmd.Parameters.Add(new NpgsqlParameter("origin", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = batch.Select(e => e.Origin?.Source).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("seq", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = batch.Select(e => e.Origin?.Seq).ToArray() });
        return cmd;
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
}
