using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using Hive.Core.Events;
using Hive.Core.Llm;

namespace Hive.Egress.Proxy;

/// <summary>
/// Keeps a copy of one model call's response body as it streams past (up to a cap, in pooled memory) and,
/// when the response ends, records an <c>llm.call</c> event with the model and token counts it reports.
/// The agent's stream is never held back: the copy is taken after each chunk has been passed on.
/// </summary>
internal sealed class LlmCallRecorder(string provider) : IDisposable
{
    private const int MaxKept = 8 * 1024 * 1024;
    private const int MaxDecoded = 32 * 1024 * 1024;
    private static readonly JsonEncodedText ModelField = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText InputTokensField = JsonEncodedText.Encode("inputTokens");
    private static readonly JsonEncodedText OutputTokensField = JsonEncodedText.Encode("outputTokens");
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _length;
    private bool _truncated;

    public void Observe(ReadOnlySpan<byte> chunk)
    {
        if (_truncated || chunk.IsEmpty) return;
        if (_length + chunk.Length > MaxKept) { _truncated = true; return; }
        if (_length + chunk.Length > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + chunk.Length));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        chunk.CopyTo(_buffer.AsSpan(_length));
        _length += chunk.Length;
    }

    public void Record(IEgressEventSink sink, EgressConnection conn, long requestId, int status, long durationMs,
        string? contentType, string? contentEncoding)
    {
        var stream = contentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;
        var usage = _truncated ? LlmUsage.Unknown : LlmUsage.Read(Decode(contentEncoding), stream);
        var w = EventJson.Begin();
        w.WriteNumber("requestId", requestId);
        w.WriteString("provider", provider);
        w.StringOrNull(ModelField, usage.Model);
        w.NumberOrNull(InputTokensField, usage.InputTokens);
        w.NumberOrNull(OutputTokensField, usage.OutputTokens);
        w.WriteBoolean("stream", stream);
        w.WriteNumber("status", status);
        w.WriteNumber("durationMs", durationMs);
        sink.Append(conn.Sandbox.Name, EventTypes.LlmCall, EventJson.End(w));
    }

    private ReadOnlySpan<byte> Decode(string? encoding)
    {
        var kept = _buffer.AsMemory(0, _length);
        if (string.IsNullOrEmpty(encoding) || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase)) return kept.Span;
        try
        {
            using var source = new MemoryStream(_buffer, 0, _length, writable: false);
            using Stream decoder = encoding.ToLowerInvariant() switch
            {
                "gzip" => new GZipStream(source, CompressionMode.Decompress),
                "br" => new BrotliStream(source, CompressionMode.Decompress),
                "deflate" => new ZLibStream(source, CompressionMode.Decompress),
                _ => throw new InvalidDataException(),
            };
            using var decoded = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int n;
            while ((n = decoder.Read(chunk)) > 0 && decoded.Length < MaxDecoded) decoded.Write(chunk, 0, n);
            return decoded.Length < MaxDecoded ? decoded.ToArray() : [];
        }
        catch (InvalidDataException)
        {
            return [];
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
