using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Hive.Host.Abstractions.Wire;

/// <summary>What a frame of an exec or terminal stream carries.</summary>
public enum FrameType : byte
{
    /// <summary>A JSON message: the request's header (first frame of a request body), a control message.</summary>
    Json = 1,
    Stdout = 2,
    Stderr = 3,
    /// <summary>A terminal's output.</summary>
    Output = 4,
    /// <summary>Keystrokes for a terminal.</summary>
    Keys = 5,
    /// <summary>A terminal's new window size: rows then columns, two big-endian 32-bit integers.</summary>
    Resize = 6,
    /// <summary>The command ended: a JSON <see cref="WireOutcome"/>. The last frame.</summary>
    Exit = 7,
    /// <summary>The host failed the operation: a JSON <see cref="WireProblem"/>. The last frame.</summary>
    Error = 8,
}

/// <summary>
/// Length-prefixed frames: one byte of <see cref="FrameType"/>, the payload's length as a big-endian 32-bit integer,
/// the payload. Data larger than <see cref="MaxData"/> is cut into several frames.
/// </summary>
public static class Frames
{
    public const int HeaderBytes = 5;

    /// <summary>The most bytes one output frame carries (output of any size streams in frames of at most this).</summary>
    public const int MaxData = 64 * 1024;

    /// <summary>The largest frame a reader accepts (a JSON header with a large config and env).</summary>
    public const int MaxFrame = 8 * 1024 * 1024;

    /// <summary>Writes one or more frames (data cut at <see cref="MaxData"/>) into <paramref name="writer"/>; the caller flushes.</summary>
    public static void Write(IBufferWriter<byte> writer, FrameType type, ReadOnlySpan<byte> payload)
    {
        if (type is FrameType.Stdout or FrameType.Stderr or FrameType.Output or FrameType.Keys)
        {
            do
            {
                var n = Math.Min(payload.Length, MaxData);
                WriteOne(writer, type, payload[..n]);
                payload = payload[n..];
            } while (!payload.IsEmpty);
            return;
        }
        if (payload.Length > MaxFrame) throw new ArgumentException($"a {type} frame is at most {MaxFrame} bytes", nameof(payload));
        WriteOne(writer, type, payload);
    }

    private static void WriteOne(IBufferWriter<byte> writer, FrameType type, ReadOnlySpan<byte> payload)
    {
        var span = writer.GetSpan(HeaderBytes + payload.Length);
        span[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], payload.Length);
        payload.CopyTo(span[HeaderBytes..]);
        writer.Advance(HeaderBytes + payload.Length);
    }

    public static void WriteResize(IBufferWriter<byte> writer, TerminalSize size)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(payload, size.Rows);
        BinaryPrimitives.WriteInt32BigEndian(payload[4..], size.Cols);
        WriteOne(writer, FrameType.Resize, payload);
    }

    public static TerminalSize ReadResize(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 8) throw new InvalidDataException("a resize frame holds 8 bytes");
        return new TerminalSize(BinaryPrimitives.ReadInt32BigEndian(payload), BinaryPrimitives.ReadInt32BigEndian(payload[4..]));
    }

    public static ValueTask<FlushResult> WriteJsonAsync<T>(PipeWriter writer, FrameType type, T value, CancellationToken ct)
    {
        Write(writer, type, WireJson.Bytes(value));
        return writer.FlushAsync(ct);
    }
}

/// <summary>
/// Reads frames from a stream through one reused buffer: a payload stays valid until the next read, so streaming any
/// amount of output allocates nothing per frame.
/// </summary>
public sealed class FrameReader(Stream stream)
{
    private byte[] _buffer = new byte[Frames.MaxData + Frames.HeaderBytes];
    private int _start, _end;

    /// <summary>The next frame, or null at the end of the stream (between frames). A stream cut inside a frame throws.</summary>
    public async ValueTask<(FrameType Type, ReadOnlyMemory<byte> Payload)?> ReadAsync(CancellationToken ct)
    {
        if (!await FillAsync(Frames.HeaderBytes, ct))
        {
            if (_end == _start) return null;
            throw new EndOfStreamException("the stream ended inside a frame header");
        }
        var type = (FrameType)_buffer[_start];
        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + 1));
        if (length < 0 || length > Frames.MaxFrame) throw new InvalidDataException($"a frame of {length} bytes is larger than {Frames.MaxFrame}");
        if (!await FillAsync(Frames.HeaderBytes + length, ct)) throw new EndOfStreamException("the stream ended inside a frame");
        var payload = _buffer.AsMemory(_start + Frames.HeaderBytes, length);
        _start += Frames.HeaderBytes + length;
        return (type, payload);
    }

    /// <summary>Bytes read past the last frame (a file write's first bytes after its header frame).</summary>
    public ReadOnlyMemory<byte> Leftover => _buffer.AsMemory(_start, _end - _start);

    private async ValueTask<bool> FillAsync(int needed, CancellationToken ct)
    {
        if (_end - _start >= needed) return true;
        if (_buffer.Length - _start < needed)
        {
            // Move what is left to the front, growing the buffer for a frame larger than it (a big JSON header).
            var target = needed > _buffer.Length ? new byte[needed] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, _end - _start);
            _buffer = target;
            _end -= _start;
            _start = 0;
        }
        while (_end - _start < needed)
        {
            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
            if (n == 0) return false;
            _end += n;
        }
        return true;
    }
}
