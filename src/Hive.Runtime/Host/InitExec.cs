using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Hive.Runtime.Host;

/// <summary>
/// Runs a command through the sandbox's hive-init: one connection per command, output streamed as it is
/// written. Closing the connection (timeout, cancellation) makes hive-init kill the command's process group.
/// </summary>
public static class InitExec
{
    /// <summary>How long a connection may be refused while a just-started init gets to its listen().</summary>
    private static readonly TimeSpan StartupGrace = TimeSpan.FromSeconds(5);

    /// <param name="onOutput">Called once per chunk, never concurrently, in the order the command produced it.</param>
    public static async Task<ExecOutcome> RunAsync(string socketPath, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        var request = InitFrames.EncodeRequest(spec);
        var clock = Stopwatch.StartNew();
        using var timeout = spec.Timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var socket = await ConnectAsync(socketPath, linked.Token);
            // Disposing the socket on cancellation is what stops the command, so it must not wait for pending I/O.
            await using var hangUp = linked.Token.Register(static s => ((Socket)s!).Dispose(), socket);
            await socket.SendAsync(request, SocketFlags.None, linked.Token);
            var sending = SendStdinAsync(socket, spec.Stdin, linked.Token);
            var code = await ReceiveAsync(socket, onOutput, linked.Token);
            await sending;
            return new ExecOutcome(code, false, clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested && e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            return new ExecOutcome(ExecRunner.TimeoutExitCode, true, clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is SocketException or ObjectDisposedException)
        {
            throw new OperationCanceledException(ct);
        }
    }

    internal static async Task<Socket> ConnectAsync(string socketPath, CancellationToken ct)
    {
        // sockaddr_un holds 108 bytes: a longer path is reached through a descriptor of its directory.
        using var dir = Encoding.UTF8.GetByteCount(socketPath) < 100 ? null : Libc.OpenPath(Path.GetDirectoryName(socketPath)!);
        var endpoint = new UnixDomainSocketEndPoint(dir is null ? socketPath : $"/proc/self/fd/{dir.DangerousGetHandle()}/{Path.GetFileName(socketPath)}");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(endpoint, ct);
                return socket;
            }
            catch (SocketException) when (deadline.Elapsed < StartupGrace)
            {
                socket.Dispose();
                await Task.Delay(2, ct);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    private static async Task SendStdinAsync(Socket socket, string? stdin, CancellationToken ct)
    {
        var header = new byte[InitFrames.HeaderSize];
        if (!string.IsNullOrEmpty(stdin))
        {
            var bytes = Encoding.UTF8.GetBytes(stdin);
            for (var at = 0; at < bytes.Length; at += InitFrames.MaxPayload)
            {
                var chunk = bytes.AsMemory(at, Math.Min(InitFrames.MaxPayload, bytes.Length - at));
                InitFrames.WriteHeader(header, InitFrames.Stdin, chunk.Length);
                try
                {
                    await socket.SendAsync(header, SocketFlags.None, ct);
                    await socket.SendAsync(chunk, SocketFlags.None, ct);
                }
                catch (SocketException) { return; } // the command finished without reading all of it
            }
        }
        InitFrames.WriteHeader(header, InitFrames.StdinEnd, 0);
        try { await socket.SendAsync(header, SocketFlags.None, ct); }
        catch (SocketException) { }
    }

    private static async Task<int> ReceiveAsync(Socket socket, Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitFrames.MaxPayload); // header and payload each read from its start
        try
        {
            while (true)
            {
                await ReceiveExactlyAsync(socket, buffer.AsMemory(0, InitFrames.HeaderSize), ct);
                var (type, length) = InitFrames.ReadHeader(buffer);
                if (length < 0 || length > buffer.Length) throw new HostCommandException($"hive-init sent a frame of {length} bytes");
                var payload = buffer.AsMemory(0, length);
                await ReceiveExactlyAsync(socket, payload, ct);
                switch (type)
                {
                    case InitFrames.Stdout: await onOutput(ExecStream.Stdout, payload, ct); break;
                    case InitFrames.Stderr: await onOutput(ExecStream.Stderr, payload, ct); break;
                    case InitFrames.Exit when length == 4: return BinaryPrimitives.ReadInt32LittleEndian(payload.Span);
                    default: throw new HostCommandException($"hive-init sent an unknown frame ({type})");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> into, CancellationToken ct)
    {
        while (into.Length > 0)
        {
            var n = await socket.ReceiveAsync(into, SocketFlags.None, ct);
            if (n == 0) throw new HostCommandException("hive-init closed the connection before the command's exit status (the sandbox stopped?)");
            into = into[n..];
        }
    }
}
