using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Hive.Core.Egress;

namespace Hive.Egress.Proxy;

/// <summary>An upstream the proxy will not dial, with the reason a person can act on.</summary>
public sealed class UpstreamRefusedException(string message) : Exception(message);

/// <summary>The address a connection's name resolved to and will be dialled at, or why there is none.</summary>
public readonly record struct PinnedAddress(IPAddress? Address, string? Refusal);

/// <summary>
/// Resolves an upstream name itself (upstream.hosts first, then DNS) and dials only an address it has
/// checked: never loopback, private, link-local, metadata or this host's own, unless allowPrivate says so,
/// and never the daemon's own services, the host's non-loopback addresses or the sandboxes' network at all.
/// </summary>
/// <remarks>
/// A connection's name is resolved once (<see cref="PinAsync"/>): the policy decides on that address and the proxy
/// dials exactly it, so a DNS answer that changes between the check and the dial (rebinding) changes nothing.
/// </remarks>
public sealed class UpstreamDialer
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    /// <summary>Interfaces come and go (a VPN, a bridge): the host's own addresses are listed again this often.</summary>
    private static readonly TimeSpan HostAddressesAge = TimeSpan.FromSeconds(5);
    private readonly IReadOnlyDictionary<string, string> _hosts;
    private readonly EgressOptions _options;
    private readonly IReadOnlyList<IPNetwork> _neverDial;
    private readonly Lock _gate = new();
    private int[] _daemonPorts;
    private AddressClassifier _classifier = null!;
    private long _classifiedAt;

    public UpstreamDialer(EgressOptions options)
    {
        _options = options;
        _hosts = new Dictionary<string, string>(options.Hosts, StringComparer.OrdinalIgnoreCase);
        _daemonPorts = [.. options.DaemonPorts ?? []];
        _neverDial = [.. (options.NeverDial ?? []).Select(t => AddressClassifier.ParseRange(t)
            ?? throw new FormatException($"\"{t}\" is not a CIDR such as 10.201.0.0/16"))];
        Rebuild();
    }

    /// <summary>Adds ports of the daemon's own services (the proxy's and DNS server's, known once they listen).</summary>
    public void AddDaemonPorts(params int[] ports)
    {
        lock (_gate) _daemonPorts = [.. _daemonPorts.Union(ports)];
        Rebuild();
    }

    private AddressClassifier Classifier
    {
        get
        {
            if (Environment.TickCount64 - Volatile.Read(ref _classifiedAt) > HostAddressesAge.TotalMilliseconds) Rebuild();
            return Volatile.Read(ref _classifier);
        }
    }

    private void Rebuild()
    {
        var classifier = AddressClassifier.Create(_options.AllowPrivate, HostAddresses(), _neverDial, _daemonPorts);
        Volatile.Write(ref _classifier, classifier);
        Volatile.Write(ref _classifiedAt, Environment.TickCount64);
    }

    /// <summary>
    /// Resolves <paramref name="host"/> and picks the first address the proxy may dial on <paramref name="port"/>; the
    /// refusal says why none (a forbidden address, no address, a resolution failure).
    /// </summary>
    public async ValueTask<PinnedAddress> PinAsync(string host, int port, CancellationToken ct)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(host, ct);
        }
        catch (UpstreamRefusedException e)
        {
            return new PinnedAddress(null, e.Message);
        }
        var classifier = Classifier;
        string? refusal = null;
        foreach (var address in addresses)
        {
            if (!classifier.IsForbiddenUpstream(address, port, out var reason)) return new PinnedAddress(address, null);
            refusal ??= Refused(host, address, reason);
        }
        return new PinnedAddress(null, refusal ?? $"{host} has no address");
    }

    /// <summary>Dials exactly <paramref name="address"/> (checked again: the classifier may have learnt a new host address).</summary>
    public async ValueTask<Socket> ConnectAsync(string host, IPAddress address, int port, CancellationToken ct)
    {
        if (Classifier.IsForbiddenUpstream(address, port, out var reason)) throw new UpstreamRefusedException(Refused(host, address, reason));
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new UpstreamRefusedException($"connecting to {host} ({address}:{port}) failed: {(e is SocketException s ? s.SocketErrorCode.ToString() : "timed out")}");
        }
    }

    /// <summary>
    /// The HTTP client's dial: the proxy always hands it an address it pinned. A name means the connection's name had no
    /// address the proxy may dial: it is refused, with the reason found again.
    /// </summary>
    public async ValueTask<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var literal)) return await ConnectAsync(host, literal, port, ct);
        var pinned = await PinAsync(host, port, ct);
        throw new UpstreamRefusedException(pinned.Refusal ?? $"{host} was not resolved before the request");
    }

    private static string Refused(string host, IPAddress address, string reason) =>
        $"{host} resolves to {address}, a {reason} address the proxy does not dial";

    private async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        if (_hosts.TryGetValue(host, out var mapped))
            return IPAddress.TryParse(mapped, out var ip) ? [ip] : await System.Net.Dns.GetHostAddressesAsync(mapped, ct);
        if (IPAddress.TryParse(host, out var literal)) return [literal];
        try
        {
            return await System.Net.Dns.GetHostAddressesAsync(host, ct);
        }
        catch (SocketException e)
        {
            throw new UpstreamRefusedException($"{host} could not be resolved ({e.SocketErrorCode})");
        }
    }

    private static IEnumerable<IPAddress> HostAddresses()
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            foreach (var a in nic.GetIPProperties().UnicastAddresses)
                yield return a.Address;
    }
}
