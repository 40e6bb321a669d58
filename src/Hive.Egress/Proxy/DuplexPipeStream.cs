using System.IO.Pipelines;

namespace Hive.Egress.Proxy;

/// <summary>A Stream over a connection's pipes, so SslStream can sit on Kestrel's transport.</summary>
internal sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
{
    private readonly Stream _input = pipe.Input.AsStream(leaveOpen: true);
    private readonly Stream _output = pipe.Output.AsStream(leaveOpen: true);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => _input.ReadAsync(buffer, ct);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => _input.ReadAsync(buffer, offset, count, ct);
    public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => _output.WriteAsync(buffer, ct);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => _output.WriteAsync(buffer, offset, count, ct);
    public override void Flush() => _output.Flush();
    public override Task FlushAsync(CancellationToken ct) => _output.FlushAsync(ct);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>The decrypted side of an intercepted TLS connection, as Kestrel's transport.</summary>
internal sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
{
    /// <summary>
    /// A TLS record's most plaintext. The writer hands SslStream one segment per write and each write is at least one
    /// record: with the default 4 KiB segments a large body went out as 4 KiB records, each its own encryption and its
    /// own write to the socket's pipe (a sixth to a fifth more of the proxy's CPU per GB downloaded, bench/RESULTS.md
    /// 2026-12-06). The reader keeps its defaults: a larger buffer with zero-byte reads measured no better per request.
    /// </summary>
    private const int RecordSize = 16 * 1024;

    public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: RecordSize, leaveOpen: true));
}
