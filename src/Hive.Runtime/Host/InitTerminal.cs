using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Hive.Runtime.Host;

/// <summary>
/// Runs a command under a pseudo-terminal that the sandbox's hive-init allocates: keystrokes and window sizes go
/// in, the terminal's output (one stream) comes out. When the input ends before the command does (the user went
/// away), the connection closes and hive-init hangs up the terminal's whole session.
/// </summary>
public static class InitTerminal
{
    /// <param name="input">Ends when the user is gone; the command is then killed.</param>
    /// <param name="onOutput">Called once per chunk, never concurrently, in order.</param>
    public static async Task<ExecOutcome> RunAsync(string socketPath, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        var request = InitFrames.EncodeTerminalRequest(spec, size);
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var socket = await InitExec.ConnectAsync(socketPath, ct);
        // Disposing the socket is what hangs up the terminal, so it must not wait for pending I/O.
        await using var hangUp = stop.Token.Register(static s => ((Socket)s!).Dispose(), socket);
        try
        {
            await socket.SendAsync(request, SocketFlags.None, stop.Token);
            var sending = SendInputAsync(socket, input, stop.Token);
            var receiving = ReceiveAsync(socket, onOutput, stop.Token);
            if (await Task.WhenAny(sending, receiving) == sending && !receiving.IsCompleted)
            {
                await sending; // its failure, if any
                stop.Cancel(); // the input ended first: the user left, the command goes
                throw new OperationCanceledException("the terminal's input ended before the command exited");
            }
            var code = await receiving;
            await stop.CancelAsync();
            try { await sending; } catch (OperationCanceledException) { } catch (SocketException) { } catch (ObjectDisposedException) { }
            return new ExecOutcome(code, false, clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is SocketException or ObjectDisposedException)
        {
            throw new OperationCanceledException("the terminal was closed", e);
        }
    }

    private static async Task SendInputAsync(Socket socket, IAsyncEnumerable<TerminalInput> input, CancellationToken ct)
    {
        var header = new byte[InitFrames.HeaderSize];
        await foreach (var item in input.WithCancellation(ct))
        {
            if (item.Resize is { } size)
            {
                await socket.SendAsync(InitFrames.EncodeWindowSize(size), SocketFlags.None, ct);
                continue;
            }
            for (var at = 0; at < item.Keys.Length; at += InitFrames.MaxPayload)
            {
                var chunk = item.Keys.Slice(at, Math.Min(InitFrames.MaxPayload, item.Keys.Length - at));
                InitFrames.WriteHeader(header, InitFrames.Stdin, chunk.Length);
                await socket.SendAsync(header, SocketFlags.None, ct);
                await socket.SendAsync(chunk, SocketFlags.None, ct);
            }
        }
    }

    private static async Task<int> ReceiveAsync(Socket socket, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitFrames.MaxPayload);
        try
        {
            while (true)
            {
                await InitExec.ReceiveExactlyAsync(socket, buffer.AsMemory(0, InitFrames.HeaderSize), ct);
                var (type, length) = InitFrames.ReadHeader(buffer);
                if (length < 0 || length > buffer.Length) throw new HostCommandException($"hive-init sent a frame of {length} bytes");
                var payload = buffer.AsMemory(0, length);
                await InitExec.ReceiveExactlyAsync(socket, payload, ct);
                switch (type)
                {
                    case InitFrames.Stdout: await onOutput(payload, ct); break;
                    case InitFrames.Exit when length == 4: return BinaryPrimitives.ReadInt32LittleEndian(payload.Span);
                    default: throw new HostCommandException($"hive-init sent an unknown terminal frame ({type})");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>The sandbox's container runs without hive-init (started by an older daemon): no terminal until it restarts.</summary>
public sealed class NoInitException(string message) : Exception(message);
