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
/// address and the destination by SO_ORIGINAL_DST, pin the address the destination's name resolves to, then:
/// TLS is checked against its SNI and decided on its ClientHello and, unless it may be tunnelled, terminated with a
/// leaf for the destination so that each HTTP request can be decided; anything else is HTTP for Kestrel (which parses
/// every method) unless the policy lets the destination be tunnelled raw (<see cref="EgressPolicy.DecideStream"/>).
/// </summary>
public sealed class EgressConnectionMiddleware(EgressRegistry registry, CertificateAuthority ca, UpstreamDialer dialer,
    IHostEventSink events, ILogger log)
{
    public const string ItemKey = "hive.egress";
    private static readonly byte[] AccessDeniedAlert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31]; // fatal access_denied(49)
    private static readonly List<SslApplicationProtocol> Http2And11 = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> Http2Only = [SslApplicationProtocol.Http2];
    private static readonly List<SslApplicationProtocol> Http11Only = [SslApplicationProtocol.Http11];

    private static readonly TimeSpan DialTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(15);
    /// <summary>An intercepted handshake that stalls holds a connection slot: it gets as long as the peek.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

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
        if (!sandbox.TryOpenConnection())
        {
            if (sandbox.ShouldReportRefusedConnection())
                EgressEvents.Request(events, new EgressConnection(sandbox, host, ip, original.Port, tls: false), "TCP", null, null,
                    new EgressDecision(EgressVerdict.Denied, null, EgressReasons.TooManyConnections),
                    $"{EgressReasons.TooManyConnections} (at most {sandbox.MaxConnections} open at once)");
            c.Abort();
            return;
        }
        try
        {
            // The name is resolved while the first bytes arrive; decisions and the dial both use this one address.
            var pin = ip is null ? PinAsync(host, original.Port) : Task.FromResult(default(PinnedAddress));
            var (kind, hello) = await ConnectionPeek.PeekAsync(c.Transport.Input);
            var pinned = await pin;
            await DispatchAsync(c, next, sandbox, host, ip, original.Port, pinned, kind, hello, afterSilence: false);
        }
        finally
        {
            sandbox.CloseConnection();
        }
    }

    private async Task<PinnedAddress> PinAsync(string host, int port)
    {
        using var timeout = new CancellationTokenSource(ResolveTimeout);
        try
        {
            return await dialer.PinAsync(host, port, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return new PinnedAddress(null, $"resolving {host} timed out");
        }
    }

    private async Task DispatchAsync(ConnectionContext c, ConnectionDelegate next, SandboxEgress sandbox, string host, IPAddress? ip, int port,
        PinnedAddress pinned, FirstBytes kind, ClientHelloInfo? hello, bool afterSilence)
    {
        if (kind == FirstBytes.Tls)
        {
            await HandleTlsAsync(c, next, new EgressConnection(sandbox, host, ip, port, tls: true, pinned), hello!);
            return;
        }
        if (kind is FirstBytes.Closed or FirstBytes.Invalid)
        {
            c.Abort();
            return;
        }
        var conn = new EgressConnection(sandbox, host, ip, port, tls: false, pinned);
        if (kind == FirstBytes.Http)
        {
            await HttpAsync(c, next, conn);
            return;
        }
        // Bytes that do not look like HTTP, or none yet: raw only where the policy says so; otherwise HTTP or nothing.
        var decision = sandbox.Policy.DecideStream(EgressRequest.Tcp(conn.Host, conn.Upstream, conn.Port));
        switch (decision.Verdict)
        {
            case EgressVerdict.Allowed when kind == FirstBytes.Silent && !afterSilence:
                await SilentAsync(c, next, conn, decision);
                break;
            case EgressVerdict.Allowed:
                await TunnelAsync(c, conn, "TCP", decision, null);
                break;
            case EgressVerdict.NeedsHttp when kind == FirstBytes.Silent:
            {
                // Nothing to tunnel to, so nobody else may speak first: wait for the client's bytes and sort them as usual.
                var (later, laterHello) = await ConnectionPeek.PeekAsync(c.Transport.Input, shortWait: false, c.ConnectionClosed);
                await DispatchAsync(c, next, sandbox, host, ip, port, pinned, later, laterHello, afterSilence: true);
                break;
            }
            case EgressVerdict.NeedsHttp:
                await HttpAsync(c, next, conn);
                break;
            case EgressVerdict.Ask:
                // A flow that is not (yet) HTTP is held by host and port; once allowed it goes on as an allowed one would.
                if (await ApprovalHold.FlowAsync(registry.Approvals, events, conn, "TCP", decision, c.ConnectionClosed) is not { } approved) c.Abort();
                else if (kind == FirstBytes.Silent && !afterSilence) await SilentAsync(c, next, conn, approved);
                else await TunnelAsync(c, conn, "TCP", approved, null);
                break;
            default:
                EgressEvents.Request(events, conn, "TCP", null, null, decision);
                c.Abort();
                break;
        }
    }

    private static async Task HttpAsync(ConnectionContext c, ConnectionDelegate next, EgressConnection conn)
    {
        c.Items[ItemKey] = conn;
        await next(c);
    }

    /// <summary>
    /// A silent flow to a destination that may be tunnelled: its server may speak first (SSH, SMTP), or its client may be
    /// waiting out the peek. The upstream is dialled; whoever speaks first decides. The client first: the flow is sorted
    /// as if it had never been silent. The server first: a raw tunnel, whose client bytes are still checked for a TLS
    /// ClientHello naming another server.
    /// </summary>
    private async Task SilentAsync(ConnectionContext c, ConnectionDelegate next, EgressConnection conn, EgressDecision decision)
    {
        var input = c.Transport.Input;
        using var clientWait = CancellationTokenSource.CreateLinkedTokenSource(c.ConnectionClosed);
        var clientFirst = ConnectionPeek.PeekAsync(input, shortWait: false, clientWait.Token);
        var upstream = await DialAsync(c, conn, "TCP", decision);
        if (upstream is null)
        {
            clientWait.Cancel();
            return;
        }
        var serverFirst = upstream.Socket.ReceiveAsync(new byte[1], SocketFlags.Peek);
        var first = await Task.WhenAny(clientFirst, serverFirst);
        if (first == clientFirst && !clientFirst.IsCanceled && !clientFirst.IsFaulted)
        {
            upstream.Socket.Dispose();
            EgressEvents.Response(events, conn, upstream.RequestId, 0, (long)Stopwatch.GetElapsedTime(upstream.Started).TotalMilliseconds, 0, 0,
                "the client spoke first after a silence: its bytes are sorted as a new flow");
            try { await serverFirst; } catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException) { }
            var (kind, hello) = await clientFirst;
            var pinned = new PinnedAddress(conn.Ip is null ? conn.Upstream : null, conn.UpstreamRefusal);
            await DispatchAsync(c, next, conn.Sandbox, conn.Host, conn.Ip, conn.Port, pinned, kind, hello, afterSilence: true);
            return;
        }
        await PumpAsync(c, conn, upstream, async () =>
        {
            var (kind, hello) = await clientFirst;
            if (kind == FirstBytes.Tls && Mismatch(conn, hello!) is { } mismatch)
            {
                EgressEvents.Request(events, conn, "TLS", null, null, new EgressDecision(EgressVerdict.Denied, null, EgressReasons.ServerNameMismatch), mismatch);
                return false;
            }
            return kind != FirstBytes.Invalid;
        });
    }

    private static string? Mismatch(EgressConnection conn, ClientHelloInfo hello) =>
        hello.ServerName is { } sni && (!EgressHost.TryCanonicalize(sni, out var canonical, out _) || canonical != conn.Host)
            ? $"TLS server name {sni} does not match the destination {conn.Host}"
            : null;

    private async Task HandleTlsAsync(ConnectionContext c, ConnectionDelegate next, EgressConnection conn, ClientHelloInfo hello)
    {
        // The SNI is checked whatever ALPN the client offers; then the flow is tunnelled only if the policy lets it.
        var decision = conn.Sandbox.Policy.DecideStream(EgressRequest.Tls(conn.Host, conn.Upstream, conn.Port));
        var mismatch = Mismatch(conn, hello);
        if (decision.IsDenied || mismatch is not null)
        {
            EgressEvents.Request(events, conn, "TLS", null, null, decision with { Verdict = EgressVerdict.Denied }, mismatch);
            await c.Transport.Output.WriteAsync(AccessDeniedAlert);
            await c.Transport.Output.CompleteAsync();
            return;
        }
        var offered = HttpProtocolsOffered(hello.Alpn);
        if (offered is null && decision.IsAsk)
        {
            // Not HTTP inside TLS: held by host and port; HTTP is intercepted below and each request asked for.
            if (await ApprovalHold.FlowAsync(registry.Approvals, events, conn, "TLS", decision, c.ConnectionClosed) is { } approved)
                await TunnelAsync(c, conn, "TLS", approved, null);
            else
            {
                await c.Transport.Output.WriteAsync(AccessDeniedAlert);
                await c.Transport.Output.CompleteAsync();
            }
            return;
        }
        if (offered is null && decision.IsAllowed)
        {
            // Not HTTP inside TLS (a database, IMAPS…) to a destination that may be tunnelled: pass it through.
            await TunnelAsync(c, conn, "TLS", decision, null);
            return;
        }
        // HTTP, or a flow a rule with methods/paths may apply to whatever ALPN it offers: terminated, and its bytes are
        // HTTP or nothing (no ALPN is negotiated when the client offered only other protocols: Kestrel reads HTTP/1.1).
        var original = c.Transport;
        await using var ssl = new SslStream(new DuplexPipeStream(original), leaveInnerStreamOpen: true);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(c.ConnectionClosed);
        handshake.CancelAfter(HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = ca.LeafFor(conn.Host),
                ApplicationProtocols = offered,
                ClientCertificateRequired = false,
            }, handshake.Token);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            log.LogDebug("TLS handshake with sandbox {Sandbox} for {Host} failed: {Error}", conn.Sandbox.Name, conn.Host, e.Message);
            c.Abort();
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

    private async Task TunnelAsync(ConnectionContext c, EgressConnection conn, string method, EgressDecision decision, Func<Task<bool>>? check)
    {
        var upstream = await DialAsync(c, conn, method, decision);
        if (upstream is not null) await PumpAsync(c, conn, upstream, check);
    }

    private sealed record OpenTunnel(Socket Socket, long RequestId, long Started);

    /// <summary>Records the tunnel and dials the pinned address; null (and the connection aborted) when it cannot.</summary>
    private async Task<OpenTunnel?> DialAsync(ConnectionContext c, EgressConnection conn, string method, EgressDecision decision)
    {
        var requestId = EgressEvents.Request(events, conn, method, null, null, decision);
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (conn.Upstream is not { } address) throw new UpstreamRefusedException(conn.UpstreamRefusal ?? $"{conn.Host} has no address");
            using var dial = new CancellationTokenSource(DialTimeout);
            return new OpenTunnel(await dialer.ConnectAsync(conn.Host, address, conn.Port, dial.Token), requestId, started);
        }
        catch (Exception e) when (e is UpstreamRefusedException or OperationCanceledException)
        {
            EgressEvents.Response(events, conn, requestId, 0, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, 0, e.Message);
            c.Abort();
            return null;
        }
    }

    /// <param name="check">Awaited before any client byte goes upstream: false closes the tunnel.</param>
    private async Task PumpAsync(ConnectionContext c, EgressConnection conn, OpenTunnel tunnel, Func<Task<bool>>? check)
    {
        var upstream = tunnel.Socket;
        using (upstream)
        await using (var network = new NetworkStream(upstream, ownsSocket: false))
        {
            var toSandbox = CopyAsync(network, c.Transport.Output.AsStream(leaveOpen: true), () => c.Transport.Output.Complete());
            Task<long> toUpstream;
            if (check is null || await CheckAsync(check)) toUpstream = CopyAsync(c.Transport.Input.AsStream(leaveOpen: true), network, () => upstream.Shutdown(SocketShutdown.Send));
            else
            {
                upstream.Dispose();
                c.Abort();
                toUpstream = Task.FromResult(0L);
            }
            await Task.WhenAll(toUpstream, toSandbox);
            EgressEvents.Response(events, conn, tunnel.RequestId, 0, (long)Stopwatch.GetElapsedTime(tunnel.Started).TotalMilliseconds,
                await toSandbox, await toUpstream);
        }
    }

    private static async Task<bool> CheckAsync(Func<Task<bool>> check)
    {
        try
        {
            return await check();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
            return false;
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
