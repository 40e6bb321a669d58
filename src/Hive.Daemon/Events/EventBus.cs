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
/// </summary>
public sealed class EventBus : IDisposable
{
    private const int MaxBatch = 2048;
    private readonly IHiveStore _store;
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscribers = [];
    private readonly Lock _queueGate = new();
    private List<StoredEvent> _pending = [];
    private TaskCompletionSource _pendingCommitted = NewCompletion();
    private Task _inFlight = Task.CompletedTask; // the batch the writer took from _pending and is committing
    private long _lastId;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ManualResetEventSlim _hurry = new(false, spinCount: 1);
    // 1 ms gave batches of a handful of events under proxy load, and as many commits as milliseconds (bench/RESULTS.md,
    // 2026-12-06); a reader or an Append never waits for the window (it hurries the writer).
    private static readonly TimeSpan GatherWindow = TimeSpan.FromMilliseconds(5);
    private readonly Thread _writer;
    private volatile bool _stopping;

    public EventBus(IHiveStore store)
    {
        _store = store;
        _lastId = store.LastEventId();
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "hive-event-writer" };
        _writer.Start();
    }

    /// <summary>Appends and waits until the event is stored and published.</summary>
    public StoredEvent Append(string sandbox, string type, JsonObject? data = null)
    {
        var (e, committed) = Add(sandbox, type, (data ?? []).ToJsonString());
        _hurry.Set();
        committed.Wait();
        return e;
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
    public void Flush()
    {
        Task? committed = null;
        Task inFlight;
        lock (_queueGate)
        {
            inFlight = _inFlight;
            if (_pending.Count > 0) committed = _pendingCommitted.Task;
        }
        inFlight.Wait(); // a batch already taken from the queue is not in _pending but may not be stored yet
        if (committed is null) return;
        _hurry.Set();
        committed.Wait();
    }

    public Subscription Subscribe(string? sandbox)
    {
        var s = new Subscription(this, sandbox);
        lock (_gate) _subscribers.Add(s);
        return s;
    }

    private (StoredEvent Event, Task Committed) Add(string sandbox, string type, string json)
    {
        lock (_queueGate)
        {
            // Microseconds, what every store keeps: the event published now and the one read back later are the same.
            var now = DateTimeOffset.UtcNow;
            var e = new StoredEvent(++_lastId, now.AddTicks(-(now.UtcTicks % 10)), sandbox, type, json);
            _pending.Add(e);
            var committed = _pendingCommitted.Task;
            if (_pending.Count == 1) _wake.Release();
            return (e, committed);
        }
    }

    private void WriteLoop()
    {
        while (true)
        {
            _wake.Wait();
            if (!_stopping) _hurry.Wait(GatherWindow);
            _hurry.Reset();
            List<StoredEvent> batch;
            TaskCompletionSource done;
            lock (_queueGate)
            {
                if (_pending.Count == 0)
                {
                    if (_stopping) return;
                    continue;
                }
                batch = _pending;
                done = _pendingCommitted;
                _inFlight = done.Task;
                _pending = new List<StoredEvent>(Math.Min(batch.Count * 2, MaxBatch));
                _pendingCommitted = NewCompletion();
            }
            try
            {
                _store.InsertEvents(batch);
                foreach (var e in batch) Publish(e);
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
            lock (_queueGate)
                if (_pending.Count > 0) _wake.Release();
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

    private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stores what is queued and stops the writer (daemon shutdown).</summary>
    public void Dispose()
    {
        Flush();
        _stopping = true;
        _wake.Release();
        _hurry.Set();
        _writer.Join(TimeSpan.FromSeconds(5));
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
