using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Hive.Core.Egress;
using Hive.Egress.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Hive.Egress.Proxy;

/// <summary>
/// Every connection a sandbox opens arrives here (nftables redirects it). We find the sandbox by source
/// address and the destination by SO_ORIGINAL_DST, then: TLS is decided on its ClientHello and, unless
/// denied, terminated with a leaf for the destination so that each HTTP request can be decided; plain
/// HTTP goes straight to the request handler; anything else is a raw tunnel, allowed only by a host/port rule.
/// </summary>
public sealed class EgressConnectionMiddleware(EgressRegistry registry, CertificateAuthority ca, UpstreamDialer dialer,
    IEgressEventSink events, ILogger log)
{
    public const string ItemKey = "hive.egress";
    private static readonly byte[] AccessDeniedAlert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31]; // fatal access_denied(49)
    private static readonly List<SslApplicationProtocol> Http2And11 = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> Http2Only = [SslApplicationProtocol.Http2];
    private static readonly List<SslApplicationProtocol> Http11Only = [SslApplicationProtocol.Http11];

    private static readonly TimeSpan DialTimeout = TimeSpan.FromSeconds(15);

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async c =>
    {
        try
        {
            await HandleAsync(c, next);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One broken connection must never take anything else down; the sandbox just sees it closed.
            log.LogDebug(e, "egress connection {Id} failed", c.ConnectionId);
            c.Abort();
        }
    };

    private async Task HandleAsync(ConnectionContext c, ConnectionDelegate next)
    {
        var socket = c.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null || c.RemoteEndPoint is not IPEndPoint remote || !registry.TryGet(remote.Address, out var sandbox)
            || OriginalDestination.Get(socket) is not { } original)
        {
            c.Abort(); // not from a sandbox, or not redirected: nobody else may use the proxy
            return;
        }
        var (host, ip) = sandbox.Pool.TryGetName(original.Address, out var name) ? (name, (IPAddress?)null) : (original.Address.ToString(), original.Address);
        var (kind, hello) = await ConnectionPeek.PeekAsync(c.Transport.Input);
        switch (kind)
        {
            case FirstBytes.Tls:
                await HandleTlsAsync(c, next, new EgressConnection(sandbox, host, ip, original.Port, tls: true), hello!);
                break;
            case FirstBytes.Http:
                c.Items[ItemKey] = new EgressConnection(sandbox, host, ip, original.Port, tls: false);
                await next(c);
                break;
            case FirstBytes.Raw:
                await TunnelAsync(c, new EgressConnection(sandbox, host, ip, original.Port, tls: false), "TCP");
                break;
            default:
                c.Abort();
                break;
        }
    }

    private async Task HandleTlsAsync(ConnectionContext c, ConnectionDelegate next, EgressConnection conn, ClientHelloInfo hello)
    {
        var decision = conn.Sandbox.Policy.Decide(EgressRequest.Tls(conn.Host, conn.Ip, conn.Port));
        string? mismatch = null;
        if (hello.ServerName is { } sni && (!EgressHost.TryCanonicalize(sni, out var canonical, out _) || canonical != conn.Host))
            mismatch = $"TLS server name {sni} does not match the destination {conn.Host}";
        if (decision.IsDenied || mismatch is not null)
        {
            EgressEvents.Request(events, conn, "TLS", null, null, decision with { Verdict = EgressVerdict.Denied }, mismatch);
            await c.Transport.Output.WriteAsync(AccessDeniedAlert);
            await c.Transport.Output.CompleteAsync();
            return;
        }
        var offered = HttpProtocolsOffered(hello.Alpn);
        if (offered is null)
        {
            // Not HTTP inside TLS (a database, IMAPS…): pass it through if a host/port rule allows it.
            await TunnelAsync(c, conn, "TLS");
            return;
        }
        var original = c.Transport;
        await using var ssl = new SslStream(new DuplexPipeStream(original), leaveInnerStreamOpen: true);
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = ca.LeafFor(conn.Host),
                ApplicationProtocols = offered,
                ClientCertificateRequired = false,
            }, c.ConnectionClosed);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            log.LogDebug("TLS handshake with sandbox {Sandbox} for {Host} failed: {Error}", conn.Sandbox.Name, conn.Host, e.Message);
            return;
        }
        var tls = new TlsFeatures(ssl.NegotiatedApplicationProtocol.Protocol);
        c.Features.Set<ITlsConnectionFeature>(tls);
        c.Features.Set<ITlsApplicationProtocolFeature>(tls);
        c.Items[ItemKey] = conn;
        c.Transport = new StreamDuplexPipe(ssl);
        try
        {
            await next(c);
        }
        finally
        {
            c.Transport = original;
        }
    }

    /// <summary>The HTTP versions to offer for the client's ALPN list (HTTP/1.1 when it sent none); null when it offered only other protocols.</summary>
    public static List<SslApplicationProtocol>? HttpProtocolsOffered(IReadOnlyList<string> alpn)
    {
        if (alpn.Count == 0) return Http11Only;
        bool h2 = false, h11 = false;
        foreach (var p in alpn)
        {
            h2 |= p == "h2";
            h11 |= p == "http/1.1";
        }
        return h2 ? (h11 ? Http2And11 : Http2Only) : h11 ? Http11Only : null;
    }

    private async Task TunnelAsync(ConnectionContext c, EgressConnection conn, string method)
    {
        var decision = conn.Sandbox.Policy.Decide(EgressRequest.Tcp(conn.Host, conn.Ip, conn.Port));
        var requestId = EgressEvents.Request(events, conn, method, null, null, decision);
        if (!decision.IsAllowed)
        {
            c.Abort();
            return;
        }
        var clock = Stopwatch.StartNew();
        Socket upstream;
        try
        {
            using var dial = new CancellationTokenSource(DialTimeout);
            upstream = await dialer.ConnectAsync(conn.Host, conn.Port, dial.Token);
        }
        catch (Exception e) when (e is UpstreamRefusedException or OperationCanceledException)
        {
            EgressEvents.Response(events, conn, requestId, 0, clock.ElapsedMilliseconds, 0, 0, e.Message);
            c.Abort();
            return;
        }
        using (upstream)
        await using (var network = new NetworkStream(upstream, ownsSocket: false))
        {
            var toUpstream = CopyAsync(c.Transport.Input.AsStream(leaveOpen: true), network, () => upstream.Shutdown(SocketShutdown.Send));
            var toSandbox = CopyAsync(network, c.Transport.Output.AsStream(leaveOpen: true), () => c.Transport.Output.Complete());
            await Task.WhenAll(toUpstream, toSandbox);
            EgressEvents.Response(events, conn, requestId, 0, clock.ElapsedMilliseconds, await toSandbox, await toUpstream);
        }
    }

    private static async Task<long> CopyAsync(Stream from, Stream to, Action done)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        long total = 0;
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n));
                await to.FlushAsync();
                total += n;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or ConnectionResetException) { }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            try { done(); } catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { }
        }
        return total;
    }
}
