using System.Net;

namespace Hive.Core.Egress;

public enum EgressHostKind
{
    /// <summary>Not a valid host (also <c>default(EgressRequest)</c>); every decision denies it.</summary>
    Invalid,
    /// <summary>A DNS name (canonical: lower case, punycode, no trailing dot).</summary>
    Name,
    /// <summary>An IP literal (canonical text; IPv4-mapped folded to IPv4).</summary>
    Address,
}

/// <summary>
/// One thing to decide: a flow (TCP, TLS) or an HTTP request to a destination. Construction canonicalises the host
/// (see <see cref="EgressHost"/>): already-canonical names cost nothing; other spellings allocate once here so that
/// <see cref="EgressPolicy.Decide"/> never does.
/// </summary>
public readonly struct EgressRequest
{
    private readonly IpValue _address;
    private readonly bool _hasAddress;

    /// <param name="layer">How much of the flow is known.</param>
    /// <param name="host">
    /// The canonical destination: the name behind the synthetic address, or the IP literal dialled. Any spelling is
    /// accepted and canonicalised (<c>Example.COM.</c>, <c>0x7f.1</c>, <c>[::ffff:127.0.0.1]</c>); an invalid one makes
    /// <see cref="HostKind"/> <see cref="EgressHostKind.Invalid"/>.
    /// </param>
    /// <param name="ip">
    /// For an IP literal host, that address (or null: it is taken from <paramref name="host"/>; a different address
    /// makes the host invalid). For a name, the upstream address the proxy resolved and is about to dial, if known:
    /// deny rules on IPs/CIDRs then apply to it (allow rules on IPs/CIDRs never allow a name).
    /// </param>
    /// <param name="port">The destination port.</param>
    /// <param name="method">HTTP only: the request method (any case).</param>
    /// <param name="path">HTTP only: the normalised path (<see cref="UrlTarget.Path"/>); null if there is none.</param>
    /// <param name="pathFlags">HTTP only: <see cref="UrlTarget.Flags"/>.</param>
    public EgressRequest(EgressLayer layer, string host, IPAddress? ip, int port, string? method = null, string? path = null,
        UrlPathFlags pathFlags = UrlPathFlags.None)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (layer == EgressLayer.Http) ArgumentNullException.ThrowIfNull(method);
        Layer = layer;
        Port = port;
        if (layer == EgressLayer.Http)
        {
            Method = method;
            Path = path;
            PathFlags = pathFlags;
        }

        if (!EgressHost.TryCanonicalize(host, out var canonical, out var literal))
        {
            Host = host;
            HostKind = EgressHostKind.Invalid;
            Ip = ip;
            return;
        }
        Host = canonical;
        if (literal is not null)
        {
            var literalValue = IpValue.From(literal);
            if (ip is not null && !IpValue.From(ip).Equals(literalValue))
            {
                HostKind = EgressHostKind.Invalid;
                Ip = ip;
                return;
            }
            HostKind = EgressHostKind.Address;
            Ip = literal;
            _address = literalValue;
            _hasAddress = true;
            return;
        }
        HostKind = EgressHostKind.Name;
        Ip = ip;
        _hasAddress = IpValue.TryFrom(ip, out _address);
    }

    /// <summary>A raw TCP flow (neither TLS nor HTTP).</summary>
    public static EgressRequest Tcp(string host, IPAddress? ip, int port) => new(EgressLayer.Tcp, host, ip, port);

    /// <summary>A raw TCP flow dialled to an address.</summary>
    public static EgressRequest Tcp(IPAddress ip, int port) => new(EgressLayer.Tcp, ip.ToString(), ip, port);

    /// <summary>A TLS ClientHello before interception.</summary>
    public static EgressRequest Tls(string host, IPAddress? ip, int port) => new(EgressLayer.Tls, host, ip, port);

    /// <summary>An HTTP request with a path already normalised.</summary>
    public static EgressRequest Http(string host, IPAddress? ip, int port, string method, string? path,
        UrlPathFlags pathFlags = UrlPathFlags.None) => new(EgressLayer.Http, host, ip, port, method, path, pathFlags);

    /// <summary>An HTTP request with the output of <see cref="UrlPath.Normalize"/>.</summary>
    public static EgressRequest Http(string host, IPAddress? ip, int port, string method, in UrlTarget target) =>
        new(EgressLayer.Http, host, ip, port, method, target.Path, target.Flags);

    public EgressLayer Layer { get; }

    /// <summary>The canonical host (or the raw text when <see cref="HostKind"/> is Invalid).</summary>
    public string Host { get; }

    public EgressHostKind HostKind { get; }

    /// <summary>The destination address: the literal for an address host, the resolved address (if given) for a name.</summary>
    public IPAddress? Ip { get; }

    public int Port { get; }

    /// <summary>HTTP only; null otherwise.</summary>
    public string? Method { get; }

    /// <summary>HTTP only; null otherwise.</summary>
    public string? Path { get; }

    public UrlPathFlags PathFlags { get; }

    internal bool TryGetAddress(out IpValue address)
    {
        address = _address;
        return _hasAddress;
    }

    public override string ToString() => Layer switch
    {
        EgressLayer.Http => $"{Method} {Host}:{Port}{Path}",
        _ => $"{Layer.ToString().ToUpperInvariant()} {Host}:{Port}",
    };
}
