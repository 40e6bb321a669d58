using System.Net;

namespace Hive.Egress.Proxy;

/// <summary>
/// An upstream response's content replaced by a stream the proxy made from it (decoded, scrubbed). Its read stream is
/// that stream itself, not a read-only wrapper, so that an upgraded connection stays writable.
/// </summary>
internal sealed class ScrubbedContent(Stream stream) : HttpContent
{
    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult(stream);
    protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken ct) => Task.FromResult(stream);
    protected override Stream CreateContentReadStream(CancellationToken ct) => stream;
    protected override Task SerializeToStreamAsync(Stream target, TransportContext? context) => stream.CopyToAsync(target);
    protected override Task SerializeToStreamAsync(Stream target, TransportContext? context, CancellationToken ct) => stream.CopyToAsync(target, ct);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) stream.Dispose();
        base.Dispose(disposing);
    }
}
