namespace Hive.Core.Egress;

/// <summary>Why <see cref="AddressClassifier"/> forbids an upstream address: the <c>reason</c> strings.</summary>
public static class AddressCategory
{
    public const string Loopback = "loopback";
    public const string Private = "private";
    public const string LinkLocal = "link-local";
    public const string Cgnat = "cgnat";
    public const string Metadata = "metadata";
    public const string Unspecified = "unspecified";
    public const string Multicast = "multicast";
    public const string Broadcast = "broadcast";
    public const string Reserved = "reserved";
    public const string Benchmark = "benchmark";
    public const string Documentation = "documentation";
    /// <summary>One of the host's own addresses.</summary>
    public const string Host = "host";
    /// <summary>The sandboxes' own network, whose gateway addresses are the host's.</summary>
    public const string SandboxNetwork = "sandbox-network";
    /// <summary>A port of the daemon's own services (API, proxy, DNS) on a loopback or host address.</summary>
    public const string Daemon = "daemon";
}
