using System.Globalization;
using Hive.Daemon.Events;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Hive.Daemon.Store;

public sealed partial class SqliteStore
{
    /// <summary>
    /// Version 4: events pushed by hosts (cluster mode). origin/origin_seq say which outbox and seq an event came from, so a
    /// later event or model-call body naming that seq finds the id it was stored with; event_sources keeps each outbox's
    /// high-water mark, written in the events' transaction, so a batch pushed twice is stored once. Local events leave
    /// both columns null and are not in the (partial) index.
    /// </summary>
    private const string HostEventTables = """
        ALTER TABLE events ADD COLUMN origin TEXT;
        ALTER TABLE events ADD COLUMN origin_seq INTEGER;
        CREATE UNIQUE INDEX events_origin ON events(origin, origin_seq) WHERE origin IS NOT NULL;
        CREATE TABLE event_sources (source TEXT PRIMARY KEY, seq INTEGER NOT NULL);
        """;

    private sqlite3_stmt? _insertHostEvent;

    private static bool HasOrigins(IReadOnlyList<StoredEvent> batch)
    {
        for (var i = 0; i < batch.Count; i++)
            if (batch[i].Origin is not null) return true;
        return false;
    }

    public long HostEventMark(string source)
    {
        lock (_writeLock)
        {
            using var cmd = Command("SELECT seq FROM event_sources WHERE source = $s", null, ("$s", source));
            return cmd.ExecuteScalar() is long seq ? seq : 0;
        }
    }

    /// <summary>A batch with host events (the caller holds the write lock): dropped repeats, translated ids, marks, bodies, one transaction.</summary>
    private IReadOnlyList<StoredEvent> InsertHostEvents(IReadOnlyList<StoredEvent> batch)
    {
        var plan = new EventBatchIds(batch);
        using var tx = _writer.BeginTransaction();
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var source in plan.Sources)
        {
            using var cmd = Command("SELECT seq FROM event_sources WHERE source = $s", tx, ("$s", source));
            if (cmd.ExecuteScalar() is long seq) marks[source] = seq;
        }
        var stored = new Dictionary<(string, long), long>();
        foreach (var (source, seq) in plan.OutsideRefs)
        {
            using var cmd = Command("SELECT id FROM events WHERE origin = $o AND origin_seq = $q", tx, ("$o", source), ("$q", seq));
            if (cmd.ExecuteScalar() is long id) stored[(source, seq)] = id;
        }
        var result = plan.Assign(null, marks, stored);
        var insert = _insertHostEvent ??= Prepare("INSERT INTO events(id, ts, sandbox, type, data, origin, origin_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        Span<byte> ts = stackalloc byte[48];
        foreach (var e in result.Events)
        {
            if (!e.Ts.TryFormat(ts, out var tsLength, "O", CultureInfo.InvariantCulture)) throw new InvalidOperationException($"event {e.Id}: timestamp does not format");
            Check(raw.sqlite3_bind_int64(insert, 1, e.Id));
            Check(raw.sqlite3_bind_text(insert, 2, ts[..tsLength]));
            BindText(insert, 3, e.Sandbox);
            BindText(insert, 4, e.Type);
            BindText(insert, 5, e.Data);
            if (e.Origin is { } o)
            {
                BindText(insert, 6, o.Source);
                Check(raw.sqlite3_bind_int64(insert, 7, o.Seq));
            }
            else
            {
                Check(raw.sqlite3_bind_null(insert, 6));
                Check(raw.sqlite3_bind_null(insert, 7));
            }
            var rc = raw.sqlite3_step(insert);
            raw.sqlite3_reset(insert);
            if (rc != raw.SQLITE_DONE) Check(rc);
            if (e.Type.StartsWith("secret.", StringComparison.Ordinal)) InsertActivity(e, ts[..tsLength]);
        }
        foreach (var (source, seq) in result.Marks)
        {
            using var cmd = Command("INSERT INTO event_sources(source, seq) VALUES ($s, $q) ON CONFLICT(source) DO UPDATE SET seq = max(seq, excluded.seq)",
                tx, ("$s", source), ("$q", seq));
            cmd.ExecuteNonQuery();
        }
        foreach (var (sandbox, requestId, bodies) in result.Bodies) InsertLlmBodies(sandbox, requestId, bodies, tx);
        tx.Commit();
        return result.Events;
    }
}
