using Hive.Core.Llm;

namespace Hive.Daemon.Store;

/// <summary>One stored event: the common fields plus the type's own fields as JSON.</summary>
public sealed record StoredEvent(long Id, DateTimeOffset Ts, string Sandbox, string Type, string Data)
{
    /// <summary>
    /// Set only on a host's event on its way into the store (never read back): where it came from, so that it is
    /// stored once and the host-local ids it names are translated (<see cref="Hive.Daemon.Events.EventBatchIds"/>).
    /// </summary>
    public EventOrigin? Origin { get; init; }
}

/// <summary>
/// A host's event as its outbox pushed it: <paramref name="Source"/> names the outbox (host name and the outbox's own
/// id), <paramref name="Seq"/> is its number there, and its <c>requestId</c>, if any, is another seq of the same outbox.
/// <paramref name="Llm"/> holds an llm.call's bodies, stored with the event under the translated request id.
/// </summary>
public sealed record EventOrigin(string Source, long Seq, LlmBodies? Llm = null);
