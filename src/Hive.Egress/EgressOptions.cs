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
