using Microsoft.Extensions.Logging;

namespace Hive.Server;

/// <summary>
/// TODO(events merge): role host's events belong in the host's outbox (SQLite in HIVE_HOME, pushed to the controller's
/// <c>POST /v1/cluster/events</c> in order, with acks), which helper "events" writes. Until it is wired in, this sink
/// numbers events (so responses can name their request) and logs them at debug level: they are not kept.
/// </summary>
internal sealed class HostEventsPending(ILogger log) : IHostEventSink
{
    private long _next;

    public long Append(string sandbox, string type, string data)
    {
        var id = Interlocked.Increment(ref _next);
        log.LogDebug("event {Id} {Sandbox} {Type} {Data}", id, sandbox, type, data);
        return id;
    }
}
