using System.Buffers;
using System.Net;
using Hive.Host.Abstractions.Wire;

namespace Hive.Daemon.Cluster.Remote;

/// <summary>
/// A request body of the host API's streams: a JSON header frame, then either a terminal's input as frames (until it
/// ends or <paramref name="stop"/>) or a file's bytes as they are read. Never buffered whole, never of known length.
/// </summary>
internal sealed class FrameContent(object header, IAsyncEnumerable<TerminalInput>? input = null, Stream? file = null, CancellationToken stop = default) : HttpContent
{
    private const int CopyBuffer = 64 * 1024;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct)
    {
        var frames = new ArrayBufferWriter<byte>(4096);
        Frames.Write(frames, FrameType.Json, WireJson.Bytes(header));
        await stream.WriteAsync(frames.WrittenMemory, ct);
        await stream.FlushAsync(ct);
        if (input is not null) await PumpAsync(stream, frames, ct);
        if (file is not null) await CopyAsync(stream, ct);
    }

    private async Task PumpAsync(Stream stream, ArrayBufferWriter<byte> frames, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, stop);
        try
        {
            await foreach (var i in input!.WithCancellation(linked.Token))
            {
                frames.ResetWrittenCount();
                if (i.Resize is { } size) Frames.WriteResize(frames, size);
                else if (!i.Keys.IsEmpty) Frames.Write(frames, FrameType.Keys, i.Keys.Span);
                else continue;
                await stream.WriteAsync(frames.WrittenMemory, linked.Token);
                await stream.FlushAsync(linked.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // The command ended: what the user still types goes nowhere.
        }
    }

    private async Task CopyAsync(Stream stream, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
        try
        {
            int n;
            while ((n = await file!.ReadAsync(buffer.AsMemory(0, CopyBuffer), ct)) > 0) await stream.WriteAsync(buffer.AsMemory(0, n), ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
