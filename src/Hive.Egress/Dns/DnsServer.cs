using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Hive.Egress.Dns;

/// <summary>The sandboxes' resolver: UDP and TCP on one port, answering only known sandbox addresses.</summary>
public sealed class DnsServer(EgressRegistry registry, DnsResponder responder, ILogger log) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Socket? _udp;
    private TcpListener? _tcp;
    private Task? _loops;

    public int Port { get; private set; }

    /// <summary>
    /// Binds UDP and TCP on one port number. With port 0 the kernel picks the UDP port, and the same TCP
    /// port may already be taken (by any outgoing connection's local port): then another pair is tried.
    /// </summary>
    public void Start(IPAddress bind, int port = 0)
    {
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(bind, port));
            var chosen = ((IPEndPoint)udp.LocalEndPoint!).Port;
            var tcp = new TcpListener(bind, chosen);
            try
            {
                tcp.Start();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && port == 0 && attempt < 50)
            {
                udp.Dispose();
                continue;
            }
            (_udp, _tcp, Port) = (udp, tcp, chosen);
            break;
        }
        _loops = Task.WhenAll(UdpLoopAsync(_udp, _stop.Token), TcpLoopAsync(_tcp, _stop.Token));
    }

    private async Task UdpLoopAsync(Socket socket, CancellationToken ct)
    {
        var query = new byte[4096];
        var response = new byte[DnsResponder.MaxResponse + 64];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var r = await socket.ReceiveFromAsync(query, SocketFlags.None, any, ct);
                var from = (IPEndPoint)r.RemoteEndPoint;
                if (!registry.TryGet(from.Address, out var sandbox)) continue; // not a sandbox: no answer at all
                var n = responder.Respond(sandbox, query.AsSpan(0, r.ReceivedBytes), response);
                if (n > 0) await socket.SendToAsync(response.AsMemory(0, n), SocketFlags.None, from, ct);
            }
            catch (OperationCanceledException) { break; }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (ct.IsCancellationRequested) break;
                log.LogDebug(e, "dns udp");
            }
        }
    }

    private async Task TcpLoopAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(ct); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { break; }
            _ = ServeTcpAsync(client, ct);
        }
    }

    private async Task ServeTcpAsync(Socket client, CancellationToken ct)
    {
        using var _ = client;
        if (!registry.TryGet(((IPEndPoint)client.RemoteEndPoint!).Address, out var sandbox)) return;
        var buffer = ArrayPool<byte>.Shared.Rent(2 + 65535);
        var response = new byte[2 + DnsResponder.MaxResponse + 64];
        try
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            for (var served = 0; served < 100; served++)
            {
                idle.CancelAfter(TimeSpan.FromSeconds(10));
                if (!await ReadExactlyAsync(client, buffer.AsMemory(0, 2), idle.Token)) return;
                var length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
                if (length == 0 || !await ReadExactlyAsync(client, buffer.AsMemory(2, length), idle.Token)) return;
                var n = responder.Respond(sandbox, buffer.AsSpan(2, length), response.AsSpan(2));
                if (n == 0) return;
                BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)n);
                await client.SendAsync(response.AsMemory(0, n + 2), SocketFlags.None, idle.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException) { }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<bool> ReadExactlyAsync(Socket s, Memory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            var n = await s.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _udp?.Dispose();
        _tcp?.Stop();
        if (_loops is not null) await _loops.ContinueWith(_ => { });
        _stop.Dispose();
    }
}
