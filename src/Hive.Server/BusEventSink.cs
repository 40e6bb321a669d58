using Hive.Daemon.Events;
using Hive.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace Hive.Server;

/// <summary>A host in the controller's process: its events go straight onto the event bus.</summary>
public sealed class BusEventSink(EventBus bus, IHiveStore store, ILogger log) : IHostEventSink
{
    // The proxy, DNS and FUSE do not wait for the commit: their events are durable within milliseconds.
    public long Append(string sandbox, string type, string data) => bus.EnqueueJson(sandbox, type, data).Id;

    // Written at once (a model call is seconds long; one row is milliseconds), so its llm.call finds it.
    public void StoreLlmBodies(string sandbox, long requestId, Hive.Core.Llm.LlmBodies bodies)
    {
        // A shared (Postgres) log hands out provisional ids: the bodies are keyed by the final one, as the llm.call names it.
        try { store.InsertLlmBodies(sandbox, bus.ResolveId(requestId), bodies); }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
        {
            log.LogError(e, "the bodies of model call {RequestId} of sandbox {Sandbox} could not be stored", requestId, sandbox);
        }
    }
}
