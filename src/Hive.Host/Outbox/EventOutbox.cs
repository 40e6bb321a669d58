using System.Security.Cryptography;
using Hive.Core.Events;
using Hive.Core.Llm;
using Microsoft.Data.Sqlite;

namespace Hive.Host.Outbox;

/// <summary>
/// A host's events on their way to the controller (cluster mode): appended to a SQLite file in the host's HIVE_HOME and
/// deleted once the controller acknowledged them (<see cref="OutboxPusher"/>), so a controller restart or a network cut
/// loses none. <see cref="Append"/> never waits for the disk or the network: it assigns the next seq (host-local,
/// increasing, never reused, also across restarts) and queues the event; one writer thread commits what is queued in
/// batches (group commit, WAL), as the controller's event bus does.
/// <para>
/// Durability, precisely: an event is on disk once the commit of its batch returned, at most
/// <see cref="GatherWindow"/> plus one commit after <see cref="Append"/> returned (<see cref="Flush"/> waits for it). From
/// then on it survives a kill -9 of the host process (WAL with synchronous=NORMAL: the OS has the pages); a power loss
/// can take back the last commits. An event appended within that window before a kill -9 can be lost, like an
/// <c>EventBus.Enqueue</c>d one; its seq (and those after it, lost with it: commits go in order) is handed out again
/// after the restart, which is safe: the controller never saw it. Seqs of stored events are never reused, also once
/// acknowledged and deleted.
/// </para>
/// A model call's bodies (<see cref="StoreLlmBodies"/>) are kept here too, keyed by the call's <c>requestId</c> (a seq),
/// pushed with its llm.call event, and deleted with it.
/// </summary>
public sealed class EventOutbox : IHostEventSink, IDisposable
{
    public const string FileName = "event-outbox.db";
    public static readonly TimeSpan GatherWindow = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan OrphanBodies = TimeSpan.FromHours(1);

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _writeLock = new(); // the writer connection: commits and acknowledgements
    private readonly GroupCommitQueue<Item> _queue;
    private TaskCompletionSource _commitSignal = NewCompletion(); // under the queue's lock
    private long _lastSeq; // under the queue's lock
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _insertBodies;

    private sealed record Item(long Seq, string Sandbox, string Type, long Ticks, string Data, LlmBodies? Bodies);

    /// <param name="path">The outbox file, created when missing (normally <c>$HIVE_HOME/event-outbox.db</c>).</param>
    public EventOutbox(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS outbox (
              seq INTEGER PRIMARY KEY AUTOINCREMENT, sandbox TEXT NOT NULL, type TEXT NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS llm_bodies (
              request_seq INTEGER PRIMARY KEY, sandbox TEXT NOT NULL, bodies TEXT NOT NULL, stored_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """);
        Stream = LoadStream();
        // AUTOINCREMENT's counter keeps the highest seq ever stored, also when every row was acknowledged and deleted.
        using (var last = Command("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)"))
            _lastSeq = (long)last.ExecuteScalar()!;
        _insertEvent = Command("INSERT INTO outbox(seq, sandbox, type, time, data) VALUES ($q, $s, $t, $m, $d)");
        foreach (var p in new[] { "$q", "$s", "$t", "$m", "$d" }) _insertEvent.Parameters.Add(new SqliteParameter { ParameterName = p });
        _insertBodies = Command("INSERT OR REPLACE INTO llm_bodies(request_seq, sandbox, bodies, stored_at) VALUES ($q, $s, $b, $m)");
        foreach (var p in new[] { "$q", "$s", "$b", "$m" }) _insertBodies.Parameters.Add(new SqliteParameter { ParameterName = p });
        _queue = new GroupCommitQueue<Item>("hive-event-outbox", GatherWindow, 4096, CommitAndSignal);
    }

    /// <summary>This outbox's own id (random, made with the file): the controller keys its marks by host and stream, so a new file starts afresh.</summary>
    public string Stream { get; }

    /// <summary>The highest seq handed out.</summary>
    public long LastSeq
    {
        get
        {
            using (_queue.Open()) return _lastSeq;
        }
    }

    public long Append(string sandbox, string type, string data)
    {
        using var pending = _queue.Open();
        var seq = ++_lastSeq;
        pending.Add(new Item(seq, sandbox, type, DateTime.UtcNow.Ticks, data, null));
        return seq;
    }

    public void StoreLlmBodies(string sandbox, long requestId, LlmBodies bodies)
    {
        using var pending = _queue.Open();
        pending.Add(new Item(requestId, sandbox, "", 0, "", bodies));
    }

    /// <summary>Waits until everything appended so far is on disk.</summary>
    public void Flush() => _queue.Flush();

    /// <summary>Completes at the next commit: take it before <see cref="Read"/>, wait on it when that found nothing.</summary>
    public Task CommitSignal
    {
        get
        {
            using (_queue.Open()) return _commitSignal.Task;
        }
    }

    /// <summary>The oldest stored events, in seq order: at most <paramref name="maxEvents"/>, and no more than about <paramref name="maxBytes"/> (at least one).</summary>
    public IReadOnlyList<OutboxEvent> Read(int maxEvents, long maxBytes)
    {
        using var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT o.seq, o.sandbox, o.type, o.time, o.data, b.bodies FROM outbox o
            LEFT JOIN llm_bodies b ON o.type = $call AND b.request_seq = json_extract(o.data, '$.requestId') AND b.sandbox = o.sandbox
            ORDER BY o.seq LIMIT $n
            """;
        cmd.Parameters.AddWithValue("$call", EventTypes.LlmCall);
        cmd.Parameters.AddWithValue("$n", maxEvents);
        using var r = cmd.ExecuteReader();
        var list = new List<OutboxEvent>();
        long bytes = 0;
        while (r.Read())
        {
            var e = new OutboxEvent(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5));
            bytes += e.Data.Length + (e.Llm?.Length ?? 0) + e.Sandbox.Length + 64;
            if (list.Count > 0 && bytes > maxBytes) break;
            list.Add(e);
        }
        return list;
    }

    /// <summary>Deletes what the controller has stored: events up to <paramref name="acked"/>, and the bodies their llm.calls carried.</summary>
    public void Acknowledge(long acked)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using (var bodies = Command("""
                       DELETE FROM llm_bodies WHERE request_seq IN
                         (SELECT json_extract(data, '$.requestId') FROM outbox WHERE seq <= $a AND type = $call);
                       DELETE FROM outbox WHERE seq <= $a;
                       DELETE FROM llm_bodies WHERE request_seq <= $a AND stored_at < $old;
                       """, tx))
            {
                bodies.Parameters.AddWithValue("$a", acked);
                bodies.Parameters.AddWithValue("$call", EventTypes.LlmCall);
                // Bodies whose llm.call never came (the host died between the two): forgotten after a while.
                bodies.Parameters.AddWithValue("$old", (DateTime.UtcNow - OrphanBodies).Ticks);
                bodies.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Events stored and not yet acknowledged.</summary>
    public long Count()
    {
        using var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM outbox";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>
    /// The writer's commit step: stores a batch, then completes <see cref="CommitSignal"/>. A failed commit (the disk full
    /// or gone) loses the batch's events and says so to whoever waits (<see cref="Flush"/>); the signal waits for the next.
    /// </summary>
    private void CommitAndSignal(List<Item> batch)
    {
        Commit(batch);
        TaskCompletionSource signal;
        using (_queue.Open())
        {
            signal = _commitSignal;
            _commitSignal = NewCompletion();
        }
        signal.SetResult();
    }

    private void Commit(List<Item> batch)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            _insertEvent.Transaction = tx;
            _insertBodies.Transaction = tx;
            foreach (var item in batch)
            {
                if (item.Bodies is { } bodies)
                {
                    _insertBodies.Parameters[0].Value = item.Seq;
                    _insertBodies.Parameters[1].Value = item.Sandbox;
                    _insertBodies.Parameters[2].Value = OutboxWire.Bodies(bodies);
                    _insertBodies.Parameters[3].Value = DateTime.UtcNow.Ticks;
                    _insertBodies.ExecuteNonQuery();
                    continue;
                }
                _insertEvent.Parameters[0].Value = item.Seq;
                _insertEvent.Parameters[1].Value = item.Sandbox;
                _insertEvent.Parameters[2].Value = item.Type;
                _insertEvent.Parameters[3].Value = item.Ticks;
                _insertEvent.Parameters[4].Value = item.Data;
                _insertEvent.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    private string LoadStream()
    {
        using (var get = Command("SELECT value FROM meta WHERE key = 'stream'"))
            if (get.ExecuteScalar() is string s) return s;
        var stream = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        using var set = Command("INSERT INTO meta(key, value) VALUES ('stream', $v)");
        set.Parameters.AddWithValue("$v", stream);
        set.ExecuteNonQuery();
        return stream;
    }

    private void Execute(string sql)
    {
        using var cmd = Command(sql);
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _writer.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stores what is queued and stops the writer.</summary>
    public void Dispose()
    {
        _queue.Stop();
        lock (_writeLock)
        {
            _insertEvent.Dispose();
            _insertBodies.Dispose();
            _writer.Dispose();
        }
    }
}
