using System.Buffers;

namespace Hive.Egress.Proxy;

/// <summary>
/// A copy of one body as it streams past, up to <paramref name="max"/> bytes, in pooled memory; every byte is counted.
/// Only model calls get one: other requests pass no capture and pay nothing.
/// </summary>
public sealed class LlmBodyCapture(int max) : IDisposable
{
    private byte[] _buffer = [];
    private int _length;

    /// <summary>Bytes seen, kept or not.</summary>
    public long Total { get; private set; }

    /// <summary>More bytes went past than were kept.</summary>
    public bool Cut => Total > _length;

    public ReadOnlySpan<byte> Kept => _buffer.AsSpan(0, _length);

    public byte[] Buffer => _buffer;

    public void Observe(ReadOnlySpan<byte> chunk)
    {
        Total += chunk.Length;
        var take = Math.Min(max - _length, chunk.Length); // the copy is always a prefix of the body: it only stops at max
        if (take <= 0) return;
        if (_length + take > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(max, Math.Max(Math.Max(_buffer.Length * 2, 16 * 1024), _length + take)));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        chunk[..take].CopyTo(_buffer.AsSpan(_length));
        _length += take;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }
}
