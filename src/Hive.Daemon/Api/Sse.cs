using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Hive.Daemon.Api;

/// <summary>Writes a text/event-stream response, one flushed frame at a time.</summary>
public sealed class Sse(HttpResponse response)
{
    public static Sse Start(HttpContext context)
    {
        var r = context.Response;
        r.ContentType = "text/event-stream";
        r.Headers.CacheControl = "no-cache";
        r.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return new Sse(r);
    }

    public static bool Wanted(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));

    public async Task WriteAsync(string eventName, string data, long? id, CancellationToken ct)
    {
        var sb = new StringBuilder();
        if (id is { } i) sb.Append("id: ").Append(i).Append('\n');
        sb.Append("event: ").Append(eventName).Append('\n');
        foreach (var line in data.Split('\n')) sb.Append("data: ").Append(line).Append('\n');
        sb.Append('\n');
        await response.WriteAsync(sb.ToString(), ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>
    /// A frame whose data is one line of UTF-8 already (compact JSON), written without building strings: what a
    /// stream of many frames (exec output) uses.
    /// </summary>
    public async Task WriteUtf8Async(ReadOnlyMemory<byte> eventLine, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var writer = response.BodyWriter;
        writer.Write(eventLine.Span);
        writer.Write("data: "u8);
        writer.Write(data.Span);
        writer.Write("\n\n"u8);
        await writer.FlushAsync(ct);
    }

    public async Task CommentAsync(string text, CancellationToken ct)
    {
        await response.WriteAsync($": {text}\n\n", ct);
        await response.Body.FlushAsync(ct);
    }
}
