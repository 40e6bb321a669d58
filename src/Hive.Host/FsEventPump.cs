using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Files.Audit;

namespace Hive.Host;

/// <summary>
/// Turns file-system audit records into fs.request / fs.response events. The FUSE thread that served the
/// operation appends them to the host's event sink itself (no wait for the store: the bus's writer commits in
/// batches), so no other thread has to be woken per operation and a reader of the log sees them at once.
/// </summary>
public sealed class FsEventPump(IHostEventSink events) : IAsyncDisposable
{
    public IFsAuditSink For(string sandbox) => new Sink(events, sandbox);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Sink(IHostEventSink events, string sandbox) : IFsAuditSink
    {
        public void Record(in FsAuditRecord r)
        {
            var request = events.Append(sandbox, EventTypes.FsRequest, new JsonObject
            {
                ["mount"] = r.Mount,
                ["path"] = r.Path,
                ["op"] = r.OpName,
                ["access"] = r.Access,
                ["detail"] = r.Detail,
                ["uid"] = r.Uid,
            }.ToJsonString());
            var response = new JsonObject { ["requestId"] = request, ["durationMs"] = Math.Round(r.DurationMs, 3) };
            if (r.ErrorName is { } error) response["error"] = error;
            if (r.Bytes is { } bytes) response["bytes"] = bytes;
            events.Append(sandbox, EventTypes.FsResponse, response.ToJsonString());
        }
    }
}
