using System.Net;

namespace Hive.Egress.Proxy;

/// <summary>
/// What the proxy knows about a connection before any request on it: the sandbox, and the one canonical
/// destination (the name behind the synthetic address, or the IP literal dialled). Requests must agree.
/// </summary>
public sealed class EgressConnection
{
    private UpstreamUri? _lastUri;

    /// <param name="upstream">The address the proxy pinned for this connection (a name's, resolved once; an IP literal's
    /// own), or null when there is none it may dial: the policy decides on it and the proxy dials exactly it.</param>
    public EgressConnection(SandboxEgress sandbox, string host, IPAddress? ip, int port, bool tls, PinnedAddress upstream = default)
    {
        Sandbox = sandbox;
        Host = host;
        Ip = ip;
        Port = port;
        Tls = tls;
        var hostForUri = ip is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? $"[{host}]" : host;
        Authority = (tls && port == 443) || (!tls && port == 80) ? hostForUri : $"{hostForUri}:{port}";
        Origin = $"{Scheme}://{Authority}";
        Upstream = upstream.Address ?? ip;
        UpstreamRefusal = upstream.Refusal;
        // The upstream request goes to the pinned address, named by the Host header (and SNI, which SocketsHttpHandler
        // takes from it); without one, to the name, which the dialler refuses with the reason.
        PinnedHost = Upstream is null || ip is not null ? null : Authority;
        UpstreamOrigin = Upstream is null || ip is not null ? Origin
            : Upstream.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"{Scheme}://[{Upstream}]:{port}" : $"{Scheme}://{Upstream}:{port}";
    }

    /// <summary>The address this connection dials, also given to the policy (deny rules on addresses apply to a name's).</summary>
    public IPAddress? Upstream { get; }

    /// <summary>Why there is no <see cref="Upstream"/>, when there is none.</summary>
    public string? UpstreamRefusal { get; }

    /// <summary>The Host header to send when the URI names the pinned address rather than the name.</summary>
    public string? PinnedHost { get; }

    /// <summary><c>scheme://address:port</c> the upstream requests are sent to.</summary>
    public string UpstreamOrigin { get; }

    public SandboxEgress Sandbox { get; }

    /// <summary>Canonical destination host: a lower-case name, or an IP literal.</summary>
    public string Host { get; }

    /// <summary>Set when the sandbox dialled an IP literal rather than a synthetic address.</summary>
    public IPAddress? Ip { get; }

    public int Port { get; }
    public bool Tls { get; }
    public string Scheme => Tls ? "https" : "http";

    /// <summary>The authority as the upstream expects it in Host / :authority.</summary>
    public string Authority { get; }

    /// <summary><c>scheme://authority</c> of the destination.</summary>
    public string Origin { get; }

    /// <summary>
    /// The upstream URI for a normalised path and raw query (no <c>?</c>). A client on a kept-alive connection
    /// mostly repeats one endpoint, so the last URI built is kept and handed out again when both match.
    /// </summary>
    public Uri UpstreamUriFor(string path, string? query)
    {
        if (string.IsNullOrEmpty(query)) query = null;
        var last = Volatile.Read(ref _lastUri); // HTTP/2 streams of one connection run concurrently: swap whole entries
        if (last is not null && string.Equals(last.Path, path, StringComparison.Ordinal) && string.Equals(last.Query, query, StringComparison.Ordinal))
            return last.Uri;
        var uri = new Uri(query is null ? string.Concat(UpstreamOrigin, path) : string.Concat(UpstreamOrigin, path, "?", query));
        Volatile.Write(ref _lastUri, new UpstreamUri(path, query, uri));
        return uri;
    }

    private sealed record UpstreamUri(string Path, string? Query, Uri Uri);
}
