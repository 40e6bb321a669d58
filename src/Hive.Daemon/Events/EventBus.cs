using Hive.Core.Events;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Hive.Daemon.Store;

namespace Hive.Daemon.Events;

/// <summary>
/// The event log's write side: ids are assigned in order as events arrive, one writer thread commits
/// them in batches (group commit), and only committed events are published, so a subscriber never sees
/// an event a crash could take back. <see cref="Append"/> waits for its commit (lifecycle and API paths);
/// <see cref="Enqueue"/> does not (egress, DNS and file-system hot paths: durable within milliseconds).
/// Readers call <see cref="Read"/>, which first waits for everything already appended: read-your-writes.
/// When nobody waits, the writer lets a batch gather for a few milliseconds: a burst of file or proxy
/// events then costs one transaction instead of one each. Each commit writes the pages it touched (the table's and
/// each index's last leaves) to the WAL whatever the batch size, so the window sets how often those pages are written.
/// <para>
/// A log several controllers write (<see cref="IHiveStore.SharedEventLog"/>, PostgreSQL): the store assigns the ids in
/// the batch's transaction, so <see cref="Enqueue"/> returns a provisional id (negative) that later events may name as
/// their <c>requestId</c>; the writer puts the final id in their place before they are stored (<see cref="ProvisionalIds"/>),
/// and <see cref="ResolveId"/> gives it to whoever keys something else by it. <see cref="Append"/> returns the final id.
/// Events are published strictly in id order: when a commit's ids do not follow the last published one, or another
/// controller stored events (<see cref="IHiveStore.WatchEvents"/>), the gap is read from the store first.
/// </para>
/// </summary>
public sealed class EventBus : IDisposable
{
    private const int MaxBatch = 2048;
    private readonly IHiveStore _store;
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscribers = [];
    private readonly GroupCommitQueue<StoredEvent> _queue;
    private long _lastId; // under the queue's lock
    // 1 ms gave batches of a handful of events under proxy load, and as many commits as milliseconds (bench/RESULTS.md,
    // 2026-12-06); a reader or an Append never waits for the window (it hurries the writer).
    private static readonly TimeSpan GatherWindow = TimeSpan.FromMilliseconds(5);
    private readonly bool _shared;
    private long _provisional; // the last provisional id handed out (shared log): -1, -2, …
    private readonly ProvisionalIds _finalIds = new(); // under _idsGate
    private readonly Lock _idsGate = new();
    private long _published; // the last id published (shared log; under _gate)
    private readonly IDisposable? _watch;

    public EventBus(IHiveStore store)
    {
        _store = store;
        _lastId = store.LastEventId();
        _shared = store.SharedEventLog;
        _published = _lastId;
        _queue = new GroupCommitQueue<StoredEvent>("hive-event-writer", GatherWindow, MaxBatch, Commit);
        if (_shared) _watch = store.WatchEvents(StoredElsewhere);
    }

    /// <summary>Appends and waits until the event is stored and published.</summary>
    public StoredEvent Append(string sandbox, string type, JsonObject? data = null)
    {
        var (e, committed) = Add(sandbox, type, (data ?? []).ToJsonString());
        _queue.Hurry();
        committed.Wait();
        return _shared ? e with { Id = ResolveId(e.Id) } : e;
    }

    /// <summary>
    /// Stores host events (each with its <see cref="StoredEvent.Origin"/> and time; the id is assigned here) in one batch,
    /// completing when they are stored: the store drops those already stored and translates the ids they name.
    /// </summary>
    public Task StoreAsync(IReadOnlyList<StoredEvent> hostEvents)
    {
        if (hostEvents.Count == 0) return Task.CompletedTask;
        Task committed;
        using (var pending = _queue.Open())
        {
            foreach (var e in hostEvents) pending.Add(e with { Id = _shared ? --_provisional : ++_lastId });
            committed = pending.Committed;
        }
        _queue.Hurry();
        return committed;
    }

    /// <summary>
    /// The final id of an id <see cref="Enqueue"/> returned: itself unless the log is shared, where a provisional id is
    /// looked up (waiting for its commit if need be). An id forgotten long ago stays as it is.
    /// </summary>
    public long ResolveId(long id)
    {
        if (id >= 0) return id;
        lock (_idsGate)
            if (_finalIds.TryResolve(id, out var final)) return final;
        Flush();
        lock (_idsGate) return _finalIds.TryResolve(id, out var final) ? final : id;
    }

    /// <summary>Appends without waiting for the commit; the id is final at once.</summary>
    public StoredEvent Enqueue(string sandbox, string type, JsonObject? data = null) => Add(sandbox, type, (data ?? []).ToJsonString()).Event;

    /// <summary>
    /// <see cref="Enqueue"/> for a data object already written as JSON text (hot paths build it with
    /// <see cref="Hive.Core.Events.EventJson"/> instead of a JsonObject).
    /// </summary>
    public StoredEvent EnqueueJson(string sandbox, string type, string data) => Add(sandbox, type, data).Event;

    public IReadOnlyList<StoredEvent> Read(string? sandbox, long after, int limit, EventTypeFilter? filter = null)
    {
        Flush();
        return _store.ReadEvents(sandbox, after, limit, TypesOf(filter));
    }

    // A filter reads only the types it names, through the type indexes; the event types are a closed list.
    private static string[]? TypesOf(EventTypeFilter? filter) =>
        filter is null || filter.MatchesAll ? null : EventTypes.All.Where(filter.Matches).ToArray();

    /// <summary>The last <paramref name="limit"/> events before id <paramref name="before"/>, oldest first.</summary>
    public IReadOnlyList<StoredEvent> ReadBefore(string? sandbox, long before, int limit, EventTypeFilter? filter = null)
    {
        Flush();
        return _store.ReadEventsBefore(sandbox, before, limit, TypesOf(filter));
    }

    /// <summary>Waits until every event appended so far is stored.</summary>
    public void Flush() => _queue.Flush();

    public Subscription Subscribe(string? sandbox)
    {
        var s = new Subscription(this, sandbox);
        lock (_gate) _subscribers.Add(s);
        return s;
    }

    private (StoredEvent Event, Task Committed) Add(string sandbox, string type, string json)
    {
        using var pending = _queue.Open();
        // Microseconds, what every store keeps: the event published now and the one read back later are the same.
        var now = DateTimeOffset.UtcNow;
        var e = new StoredEvent(_shared ? --_provisional : ++_lastId, now.AddTicks(-(now.UtcTicks % 10)), sandbox, type, json);
        pending.Add(e);
        return (e, pending.Committed);
    }

    /// <summary>The writer's commit step: stores a batch, then publishes what was stored.</summary>
    private void Commit(List<StoredEvent> batch)
    {
        if (_shared)
        {
            NameFinalIds(batch);
            var stored = _store.InsertEvents(batch);
            RememberFinalIds(batch, stored);
            PublishInOrder(stored);
        }
        else if (_store.InsertEvents(batch) is var stored && !ReferenceEquals(stored, batch))
            foreach (var e in stored) Publish(e); // host events: repeats dropped, ids named translated
        else
            foreach (var e in batch) Publish(e);
    }

    /// <summary>Shared log: a local event naming a provisional id of an earlier batch names its final id instead.</summary>
    private void NameFinalIds(List<StoredEvent> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i];
            if (e.Origin is not null || !e.Data.Contains("\"requestId\":-", StringComparison.Ordinal)) continue;
            if (EventRefs.RequestId(e.Data) is not { } r || r >= 0) continue;
            long final;
            bool found;
            lock (_idsGate) found = _finalIds.TryResolve(r, out final);
            if (found) batch[i] = e with { Data = EventRefs.WithRequestId(e.Data, final) };
        }
    }

    /// <summary>Shared log: the final ids of the batch's local events (the store keeps them, in order; it drops only host events).</summary>
    private void RememberFinalIds(List<StoredEvent> batch, IReadOnlyList<StoredEvent> stored)
    {
        lock (_idsGate)
        {
            var j = 0;
            foreach (var e in batch)
            {
                if (j < stored.Count && e.Origin is { } o)
                {
                    if (ReferenceEquals(stored[j].Origin, o)) j++;
                    continue;
                }
                if (j >= stored.Count) break;
                _finalIds.Add(e.Id, stored[j].Id);
                j++;
            }
        }
    }

    /// <summary>Shared log: publishes a commit, after reading from the store what other controllers stored before it.</summary>
    private void PublishInOrder(IReadOnlyList<StoredEvent> stored)
    {
        if (stored.Count == 0) return;
        lock (_gate)
        {
            if (stored[^1].Id <= _published) return;
            if (stored[0].Id <= _published + 1)
            {
                foreach (var e in stored)
                    if (e.Id > _published) Publish(e);
                _published = stored[^1].Id;
                return;
            }
        }
        try
        {
            CatchUp();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The batch is stored: its waiters must not fail. The gap is published at the next commit or notification.
        }
    }

    /// <summary>Shared log: a controller (this one too) stored events up to <paramref name="last"/>.</summary>
    private void StoredElsewhere(long last)
    {
        lock (_gate)
            if (last <= _published) return;
        CatchUp();
    }

    /// <summary>
    /// Shared log: publishes whatever is stored after the last published id. Every id below a visible one is visible
    /// (the store numbers under a lock held to the commit), so reading in id order skips nothing.
    /// </summary>
    private void CatchUp()
    {
        const int Page = 1000;
        lock (_gate)
        {
            while (true)
            {
                var page = _store.ReadEvents(null, _published, Page);
                foreach (var e in page) Publish(e);
                if (page.Count > 0) _published = page[^1].Id;
                if (page.Count < Page) return;
            }
        }
    }

    private void Publish(StoredEvent e)
    {
        lock (_gate)
        {
            foreach (var s in _subscribers)
                if (s.Sandbox is null || s.Sandbox == e.Sandbox) s.Offer(e);
        }
    }

    private void Unsubscribe(Subscription s)
    {
        lock (_gate) _subscribers.Remove(s);
    }

    /// <summary>Stores what is queued and stops the writer (daemon shutdown).</summary>
    public void Dispose()
    {
        _watch?.Dispose();
        _queue.Stop();
    }

    /// <summary>Formats an event as the API shows it: common fields first, then the type's own.</summary>
    public static string ToJson(StoredEvent e)
    {
        var head = $"{{\"id\":{e.Id},\"ts\":{JsonSerializer.Serialize(e.Ts.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture))}," +
                   $"\"sandbox\":{JsonSerializer.Serialize(e.Sandbox)},\"type\":{JsonSerializer.Serialize(e.Type)}";
        var data = e.Data.AsSpan().Trim();
        return data.Length <= 2 ? head + "}" : head + "," + data[1..].ToString();
    }

    public sealed class Subscription : IDisposable
    {
        private const int Capacity = 4096;
        private readonly EventBus _bus;
        private readonly Channel<StoredEvent> _channel = Channel.CreateBounded<StoredEvent>(
            new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.DropWrite });
        private volatile bool _lagged;

        internal Subscription(EventBus bus, string? sandbox)
        {
            _bus = bus;
            Sandbox = sandbox;
        }

        public string? Sandbox { get; }

        /// <summary>True once an event could not be queued: the reader must re-read the store from its last id.</summary>
        public bool Lagged => _lagged;

        public ChannelReader<StoredEvent> Reader => _channel.Reader;

        public void ClearLag()
        {
            _lagged = false;
            while (_channel.Reader.TryRead(out _)) { }
        }

        internal void Offer(StoredEvent e)
        {
            if (!_channel.Writer.TryWrite(e)) _lagged = true;
        }

        public void Dispose() => _bus.Unsubscribe(this);
    }
}
