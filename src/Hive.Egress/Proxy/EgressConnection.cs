using System.Net;

namespace Hive.Egress.Proxy;

/// <summary>
/// What the proxy knows about a connection before any request on it: the sandbox, and the one canonical
/// destination (the name behind the synthetic address, or the IP literal dialled). Requests must agree.
/// </summary>
public sealed class EgressConnection
{
    private UpstreamUri? _lastUri;

    public EgressConnection(SandboxEgress sandbox, string host, IPAddress? ip, int port, bool tls)
    {
        Sandbox = sandbox;
        Host = host;
        Ip = ip;
        Port = port;
        Tls = tls;
        var hostForUri = ip is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? $"[{host}]" : host;
        Authority = (tls && port == 443) || (!tls && port == 80) ? hostForUri : $"{hostForUri}:{port}";
        Origin = $"{Scheme}://{Authority}";
    }

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
        var uri = new Uri(query is null ? string.Concat(Origin, path) : string.Concat(Origin, path, "?", query));
        Volatile.Write(ref _lastUri, new UpstreamUri(path, query, uri));
        return uri;
    }

    private sealed record UpstreamUri(string Path, string? Query, Uri Uri);
}
