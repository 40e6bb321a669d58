namespace Hive.Host.Abstractions;

/// <summary>
/// Where a host's own events go (egress, DNS, files, approvals): the controller's event log, directly when both run in
/// one process, through the host's outbox otherwise. Appending never waits for the store.
/// </summary>
public interface IHostEventSink
{
    /// <summary>Appends an event and returns its id, which later events of the same host may name (a response's <c>requestId</c>).</summary>
    /// <param name="data">The event's data object as JSON text (see <see cref="Hive.Core.Events.EventJson"/>).</param>
    long Append(string sandbox, string type, string data);

    /// <summary>
    /// Keeps a model call's bodies (already redacted and bounded) apart from the event log, by the call's
    /// <c>requestId</c>; called just before its <c>llm.call</c> event is appended. Nothing by default.
    /// </summary>
    void StoreLlmBodies(string sandbox, long requestId, Hive.Core.Llm.LlmBodies bodies) { }
}
