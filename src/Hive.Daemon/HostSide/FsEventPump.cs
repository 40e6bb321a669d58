using System.Text.Json.Nodes;
using System.Threading.Channels;
using Hive.Daemon.Events;
using Hive.Files.Audit;

namespace Hive.Daemon.HostSide;

/// <summary>
/// Turns file-system audit records into fs.request / fs.response events. FUSE threads only enqueue;
/// one task appends, so a slow store never stalls a file operation.
/// </summary>
public sealed class FsEventPump : IAsyncDisposable
{
    private readonly Channel<(string Sandbox, FsAuditRecord Record)> _queue =
        Channel.CreateBounded<(string, FsAuditRecord)>(new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Task _pump;

    public FsEventPump(EventBus events) => _pump = PumpAsync(events);

    public IFsAuditSink For(string sandbox) => new Sink(this, sandbox);

    private async Task PumpAsync(EventBus events)
    {
        await foreach (var (sandbox, r) in _queue.Reader.ReadAllAsync())
        {
            var request = events.Enqueue(sandbox, "fs.request", new JsonObject
            {
                ["mount"] = r.Mount,
                ["path"] = r.Path,
                ["op"] = r.OpName,
                ["access"] = r.Access,
                ["detail"] = r.Detail,
                ["uid"] = r.Uid,
            });
            var response = new JsonObject { ["requestId"] = request.Id, ["durationMs"] = Math.Round(r.DurationMs, 3) };
            if (r.ErrorName is { } error) response["error"] = error;
            if (r.Bytes is { } bytes) response["bytes"] = bytes;
            events.Enqueue(sandbox, "fs.response", response);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _pump;
    }

    private sealed class Sink(FsEventPump pump, string sandbox) : IFsAuditSink
    {
        public void Record(in FsAuditRecord record) => pump._queue.Writer.TryWrite((sandbox, record));
    }
}
