using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Hive.Daemon.Store;

namespace Hive.Daemon.Events;

/// <summary>
/// Append then publish: every event is stored before any subscriber sees it. A subscriber that
/// falls too far behind is marked lagged and catches up from the store, so it never loses one.
/// </summary>
public sealed class EventBus(HiveStore store)
{
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscribers = [];

    public StoredEvent Append(string sandbox, string type, JsonObject? data = null) =>
        store.AppendEvent(sandbox, type, data ?? [], Publish);

    public IReadOnlyList<StoredEvent> Read(string? sandbox, long after, int limit) => store.ReadEvents(sandbox, after, limit);

    public Subscription Subscribe(string? sandbox)
    {
        var s = new Subscription(this, sandbox);
        lock (_gate) _subscribers.Add(s);
        return s;
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
