namespace Hive.Egress;

/// <summary>The daemon's upstream settings (docs/configuration.md, daemon.json) as the proxy uses them.</summary>
/// <param name="NeverDial">CIDRs the proxy never dials whatever <paramref name="AllowPrivate"/> says: the sandboxes' network.</param>
/// <param name="DaemonPorts">The daemon's own listening ports (its API): never dialled on a loopback or host address.
/// The proxy's and DNS server's own ports are added when they start.</param>
public sealed record EgressOptions(
    IReadOnlyDictionary<string, string> Hosts,
    IReadOnlyList<string> AllowPrivate,
    string? CaBundle,
    IReadOnlyList<string>? NeverDial = null,
    IReadOnlyList<int>? DaemonPorts = null);

/// <summary>Where egress events go: the daemon's store. Returns the stored event's id.</summary>
public interface IEgressEventSink
{
    /// <param name="data">The event's data object as JSON text (see <see cref="Hive.Core.Events.EventJson"/>).</param>
    long Append(string sandbox, string type, string data);

    /// <summary>
    /// Keeps a model call's bodies (already redacted and bounded) apart from the event log, by the call's
    /// <c>requestId</c>; called just before its <c>llm.call</c> event is appended. Nothing by default.
    /// </summary>
    void StoreLlmBodies(string sandbox, long requestId, Hive.Core.Llm.LlmBodies bodies) { }
}
