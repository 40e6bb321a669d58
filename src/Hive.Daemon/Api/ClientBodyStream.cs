using Microsoft.AspNetCore.Http;

namespace Hive.Daemon.Api;

/// <summary>
/// The request body, with a failure to read it told as the client's fault (400). Kestrel reports some malformed
/// framing, such as a chunk size that overflows, as a plain <see cref="IOException"/>; without this, whichever
/// route was reading would answer 500.
/// </summary>
internal sealed class ClientBodyStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return inner.Read(buffer, offset, count);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Bad(e);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, ct);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Bad(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private static BadHttpRequestException Bad(IOException e) => new($"the request body could not be read: {e.Message}", 400, e);
}
