using System.Buffers;
using Hive.Core.Secrets;

namespace Hive.Egress.Proxy;

/// <summary>
/// A response body (or, after an upgrade, the server's side of a duplex stream) read through a
/// <see cref="StreamReplacer"/>: what the sandbox reads has stand-ins where the upstream sent real secret values.
/// Writes (the sandbox's side of an upgraded stream) pass through untouched.
/// </summary>
internal sealed class ScrubbingStream(Stream inner, StreamReplacer replacer) : Stream
{
    private byte[] _read = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private ReadOnlyMemory<byte> _pending; // decided bytes not yet handed out
    private bool _done;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (buffer.IsEmpty) return 0;
        while (_pending.IsEmpty)
        {
            if (_done) return 0;
            var n = await inner.ReadAsync(_read, ct);
            Next(n);
        }
        return Hand(buffer.Span);
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (_pending.IsEmpty)
        {
            if (_done) return 0;
            Next(inner.Read(_read));
        }
        return Hand(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private void Next(int n)
    {
        if (n == 0)
        {
            _pending = replacer.Flush();
            _done = true;
        }
        else _pending = replacer.Transform(_read.AsSpan(0, n));
    }

    private int Hand(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, _pending.Length);
        _pending.Span[..count].CopyTo(buffer);
        _pending = _pending[count..];
        return count;
    }

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.WriteAsync(buffer, offset, count, ct);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => inner.WriteAsync(buffer, ct);
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            ReturnBuffer();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        ReturnBuffer();
        await base.DisposeAsync();
    }

    private void ReturnBuffer()
    {
        // Only once, and never while a read could still use it: disposal comes after the copy loop ended. Cleared first:
        // it held the upstream's bytes, real values included.
        var buffer = Interlocked.Exchange(ref _read, []);
        if (buffer.Length == 0) return;
        replacer.Dispose();
        Array.Clear(buffer);
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
