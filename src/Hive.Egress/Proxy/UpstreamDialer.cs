using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Hive.Core.Egress;

namespace Hive.Egress.Proxy;

/// <summary>An upstream the proxy will not dial, with the reason a person can act on.</summary>
public sealed class UpstreamRefusedException(string message) : Exception(message);

/// <summary>
/// Resolves an upstream name itself (upstream.hosts first, then DNS) and dials only an address it has
/// checked: never loopback, private, link-local, metadata or this host's own, unless allowPrivate says so.
/// </summary>
public sealed class UpstreamDialer
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private readonly IReadOnlyDictionary<string, string> _hosts;
    private readonly AddressClassifier _classifier;

    public UpstreamDialer(EgressOptions options)
    {
        _hosts = new Dictionary<string, string>(options.Hosts, StringComparer.OrdinalIgnoreCase);
        _classifier = AddressClassifier.Create(options.AllowPrivate, HostAddresses());
    }

    public async ValueTask<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        var addresses = await ResolveAsync(host, ct);
        string? refusal = null;
        foreach (var address in addresses)
        {
            if (_classifier.IsForbiddenUpstream(address, out var reason))
            {
                refusal ??= $"{host} resolves to {address}, a {reason} address the proxy does not dial";
                continue;
            }
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
                refusal = $"connecting to {host} ({address}:{port}) failed: {(e is SocketException s ? s.SocketErrorCode.ToString() : "timed out")}";
            }
        }
        throw new UpstreamRefusedException(refusal ?? $"{host} has no address");
    }

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
