namespace Hive.Egress;

/// <summary>The daemon's upstream settings (docs/configuration.md, daemon.json) as the proxy uses them.</summary>
public sealed record EgressOptions(
    IReadOnlyDictionary<string, string> Hosts,
    IReadOnlyList<string> AllowPrivate,
    string? CaBundle);

/// <summary>Where egress events go: the daemon's store. Returns the stored event's id.</summary>
public interface IEgressEventSink
{
    /// <param name="data">The event's data object as JSON text (see <see cref="Hive.Core.Events.EventJson"/>).</param>
    long Append(string sandbox, string type, string data);
}
