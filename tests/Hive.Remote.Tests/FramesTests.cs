using System.Buffers;
using Hive.Host.Abstractions.Wire;

namespace Hive.Remote.Tests;

/// <summary>The frame codec on its own: frames survive any cut of the byte stream, and a cut frame is an error.</summary>
public sealed class FramesTests
{
    [Fact]
    public async Task Frames_read_back_whole_whatever_sizes_the_stream_delivers()
    {
        var bytes = new ArrayBufferWriter<byte>();
        var big = new byte[Frames.MaxData * 2 + 3];
        new Random(3).NextBytes(big);
        Frames.Write(bytes, FrameType.Json, """{"a":1}"""u8);
        Frames.Write(bytes, FrameType.Stdout, big); // cut into three frames
        Frames.WriteResize(bytes, new TerminalSize(40, 132));
        Frames.Write(bytes, FrameType.Stderr, ReadOnlySpan<byte>.Empty);
        var large = new byte[Frames.MaxData * 3]; // a JSON frame larger than the reader's buffer
        Frames.Write(bytes, FrameType.Json, large);

        foreach (var chunk in new[] { 1, 3, 7, 4096, int.MaxValue })
        {
            var reader = new FrameReader(new Trickle(bytes.WrittenMemory.ToArray(), chunk));
            var got = new List<(FrameType, byte[])>();
            while (await reader.ReadAsync(CancellationToken.None) is { } f) got.Add((f.Type, f.Payload.ToArray()));
            Assert.Equal([FrameType.Json, FrameType.Stdout, FrameType.Stdout, FrameType.Stdout, FrameType.Resize, FrameType.Stderr, FrameType.Json], got.Select(g => g.Item1));
            Assert.Equal("""{"a":1}"""u8.ToArray(), got[0].Item2);
            Assert.Equal(big, got[1].Item2.Concat(got[2].Item2).Concat(got[3].Item2).ToArray());
            Assert.Equal(new TerminalSize(40, 132), Frames.ReadResize(got[4].Item2));
            Assert.Empty(got[5].Item2);
            Assert.Equal(large.Length, got[6].Item2.Length);
        }
    }

    [Fact]
    public async Task A_stream_cut_inside_a_frame_is_an_error_and_a_huge_length_is_refused()
    {
        var bytes = new ArrayBufferWriter<byte>();
        Frames.Write(bytes, FrameType.Stdout, "hello"u8);
        var cut = bytes.WrittenMemory.ToArray()[..^2];
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await new FrameReader(new MemoryStream(cut)).ReadAsync(CancellationToken.None));
        byte[] huge = [(byte)FrameType.Json, 0x7f, 0xff, 0xff, 0xff];
        await Assert.ThrowsAsync<InvalidDataException>(async () => await new FrameReader(new MemoryStream(huge)).ReadAsync(CancellationToken.None));
    }

    /// <summary>Gives at most <c>chunk</c> bytes per read.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], ct);
    }
}
