using System.IO.Compression;
using System.Text.Json;
using Hive.Core.Egress;
using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Core.Secrets;

namespace Hive.Egress.Proxy;

/// <summary>
/// Keeps a copy of one model call's request and response bodies as they stream past (up to a cap each, in pooled
/// memory) and, when the response ends, stores the bodies (redacted, bounded: <see cref="LlmBodyRedaction"/>) apart from
/// the event log and records an <c>llm.call</c> event with the model and token counts the response reports.
/// The agent's stream is never held back: the copy is taken after each chunk has been passed on.
/// </summary>
/// <param name="secrets">The secret table the request was handled with: its real values are redacted from the bodies.</param>
/// <param name="policy">The policy the request was decided by: its override values are redacted from the bodies.</param>
internal sealed class LlmCallRecorder(string provider, SecretSubstitution secrets, EgressPolicy policy,
    string? requestContentType, string? requestContentEncoding) : IDisposable
{
    private const int MaxKept = 8 * 1024 * 1024; // the response's usage is at its end: read from up to this much
    private const int MaxDecoded = 32 * 1024 * 1024;
    private static readonly JsonEncodedText ModelField = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText InputTokensField = JsonEncodedText.Encode("inputTokens");
    private static readonly JsonEncodedText OutputTokensField = JsonEncodedText.Encode("outputTokens");

    /// <summary>The request body as the sandbox sent it (stand-ins, not real values: those are put in headers and query only).</summary>
    public LlmBodyCapture Request { get; } = new(LlmBodyRedaction.MaxCaptured);

    /// <summary>The response body as the sandbox received it (already scrubbed on a secret's hosts).</summary>
    public LlmBodyCapture Response { get; } = new(MaxKept);

    public void Record(IHostEventSink sink, EgressConnection conn, long requestId, int status, long durationMs,
        string? contentType, string? contentEncoding)
    {
        var stream = contentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;
        var response = Decode(Response, contentEncoding);
        var usage = Response.Cut || response.Cut ? LlmUsage.Unknown : LlmUsage.Read(response.Bytes.Span, stream);
        // Before the event: whoever sees the llm.call can read its bodies.
        sink.StoreLlmBodies(conn.Sandbox.Name, requestId, Bodies(conn, response, contentType));
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

    private LlmBodies Bodies(EgressConnection conn, (ReadOnlyMemory<byte> Bytes, bool Cut) response, string? responseType)
    {
        // The table in force now too, should it have changed during the call (a rotation): both sets of values go.
        var current = conn.Sandbox.Secrets;
        var redactor = new LlmBodyRedaction.Redactor(ReferenceEquals(current, secrets) ? [secrets] : [secrets, current], policy.Rules);
        var request = Decode(Request, requestContentEncoding);
        return new LlmBodies(
            LlmBodyRedaction.Keep(request.Bytes.Span, Request.Cut || request.Cut, requestContentType, Request.Total, redactor),
            LlmBodyRedaction.Keep(response.Bytes.Span, Response.Cut || response.Cut, responseType, Response.Total, redactor));
    }

    /// <summary>The captured bytes with the content encoding undone; Cut when the decoded body is not whole (or could not be decoded).</summary>
    private static (ReadOnlyMemory<byte> Bytes, bool Cut) Decode(LlmBodyCapture capture, string? encoding)
    {
        if (string.IsNullOrEmpty(encoding) || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase)) return (capture.Buffer.AsMemory(0, capture.Kept.Length), false);
        try
        {
            using var source = new MemoryStream(capture.Buffer, 0, capture.Kept.Length, writable: false);
            using Stream decoder = encoding.ToLowerInvariant() switch
            {
                "gzip" or "x-gzip" => new GZipStream(source, CompressionMode.Decompress),
                "br" => new BrotliStream(source, CompressionMode.Decompress),
                "deflate" => new ZLibStream(source, CompressionMode.Decompress),
                _ => throw new InvalidDataException(),
            };
            using var decoded = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int n;
            while ((n = decoder.Read(chunk)) > 0 && decoded.Length < MaxDecoded) decoded.Write(chunk, 0, n);
            return (decoded.ToArray(), decoded.Length >= MaxDecoded);
        }
        catch (InvalidDataException)
        {
            return (ReadOnlyMemory<byte>.Empty, true);
        }
    }

    public void Dispose()
    {
        Request.Dispose();
        Response.Dispose();
    }
}
