using System.Net;

namespace Hive.Egress.Proxy;

/// <summary>
/// What the proxy knows about a connection before any request on it: the sandbox, and the one canonical
/// destination (the name behind the synthetic address, or the IP literal dialled). Requests must agree.
/// </summary>
public sealed class EgressConnection(SandboxEgress sandbox, string host, IPAddress? ip, int port, bool tls)
{
    public SandboxEgress Sandbox { get; } = sandbox;

    /// <summary>Canonical destination host: a lower-case name, or an IP literal.</summary>
    public string Host { get; } = host;

    /// <summary>Set when the sandbox dialled an IP literal rather than a synthetic address.</summary>
    public IPAddress? Ip { get; } = ip;

    public int Port { get; } = port;
    public bool Tls { get; } = tls;
    public string Scheme => Tls ? "https" : "http";

    /// <summary>The authority as the upstream expects it in Host / :authority.</summary>
    public string Authority => (Tls && Port == 443) || (!Tls && Port == 80) ? HostForUri : $"{HostForUri}:{Port}";

    private string HostForUri => Ip is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? $"[{Host}]" : Host;
}
