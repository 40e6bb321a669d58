using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hive.Daemon.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

public static class ExecEndpoints
{
    /// <summary>The most output bytes one SSE frame carries: a command's output never becomes one big frame.</summary>
    public const int MaxFrameBytes = 4096;

    public static void MapExec(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/sandboxes/{name}/exec", async (string name, HttpContext context, SandboxManager m) =>
        {
            // The client going away cancels the command: RequestAborted is the token all the way down.
            var ct = context.RequestAborted;
            var spec = ExecRequest.Parse((await HttpBody.ReadJsonAsync(context.Request, ct)).Span);
            if (Sse.Wanted(context.Request)) return await StreamAsync(name, spec, context, m, ct);

            var stdout = new ExecCapture(ExecCapture.DefaultLimit);
            var stderr = new ExecCapture(ExecCapture.DefaultLimit);
            var outcome = await m.ExecAsync(name, spec, (kind, data, _) =>
            {
                (kind == ExecStream.Stdout ? stdout : stderr).Append(data.Span);
                return ValueTask.CompletedTask;
            }, ct);
            var body = new JsonObject
            {
                ["exitCode"] = outcome.ExitCode,
                ["stdout"] = stdout.Text(),
                ["stderr"] = stderr.Text(),
                ["durationMs"] = outcome.DurationMs,
                ["timedOut"] = outcome.TimedOut,
                ["stdoutTruncated"] = stdout.Truncated,
                ["stderrTruncated"] = stderr.Truncated,
            };
            if (TruncationNote(stdout, stderr) is { } note) body["note"] = note;
            return Results.Text(body.ToJsonString(), "application/json");
        }).WithTags("Exec").WithSummary("Run a command; with Accept: text/event-stream, stream stdout/stderr/exit frames. " +
            "The JSON answer keeps the first MiB of each stream (stdoutTruncated/stderrTruncated and a note say when more was cut)");
    }

    private static string? TruncationNote(ExecCapture stdout, ExecCapture stderr)
    {
        var cut = new List<string>();
        if (stdout.Truncated) cut.Add($"stdout was {stdout.TotalBytes} bytes");
        if (stderr.Truncated) cut.Add($"stderr was {stderr.TotalBytes} bytes");
        return cut.Count == 0 ? null
            : $"{string.Join(" and ", cut)}; only the first {ExecCapture.DefaultLimit} bytes of each are kept: stream the command " +
              "(Accept: text/event-stream) for all of it, or redirect its output to a file";
    }

    private static async Task<IResult> StreamAsync(string name, ExecSpec spec, HttpContext context, SandboxManager m, CancellationToken ct)
    {
        Sse? sse = null;
        var decoders = (Out: Encoding.UTF8.GetDecoder(), Err: Encoding.UTF8.GetDecoder());
        // One frame's buffers, reused for every frame: streaming any amount of output allocates next to nothing.
        var chars = new char[MaxFrameBytes + 4];
        var json = new ArrayBufferWriter<byte>(MaxFrameBytes * 2);
        using var writer = new Utf8JsonWriter(json);
        ExecOutcome outcome;
        try
        {
            outcome = await m.ExecAsync(name, spec, async (kind, data, token) =>
            {
                sse ??= Sse.Start(context);
                var decoder = kind == ExecStream.Stdout ? decoders.Out : decoders.Err;
                for (var offset = 0; offset < data.Length; offset += MaxFrameBytes)
                {
                    var n = decoder.GetChars(data.Span.Slice(offset, Math.Min(MaxFrameBytes, data.Length - offset)), chars, flush: false);
                    if (n == 0) continue;
                    json.ResetWrittenCount();
                    writer.Reset(json);
                    writer.WriteStartObject();
                    writer.WriteString("data"u8, chars.AsSpan(0, n));
                    writer.WriteEndObject();
                    writer.Flush();
                    await sse.WriteUtf8Async(kind == ExecStream.Stdout ? StdoutEvent : StderrEvent, json.WrittenMemory, token);
                }
            }, ct);
        }
        catch (Exception e) when (sse is not null && e is not OperationCanceledException)
        {
            // Frames went out already (200): the problem travels as an error frame, then the stream ends.
            var (status, title, detail, _) = ApiErrors.Classify(e);
            var problem = new JsonObject { ["type"] = $"https://hive.dev/problems/{status}", ["title"] = title, ["status"] = status, ["detail"] = detail };
            await sse.WriteAsync("error", problem.ToJsonString(), null, CancellationToken.None);
            return Results.Empty;
        }
        sse ??= Sse.Start(context);
        var exit = JsonSerializer.Serialize(new { exitCode = outcome.ExitCode, durationMs = outcome.DurationMs, timedOut = outcome.TimedOut });
        await sse.WriteAsync("exit", exit, null, ct);
        return Results.Empty;
    }

    // A decoder per stream (above) keeps a multi-byte character split across two reads intact.
    private static readonly ReadOnlyMemory<byte> StdoutEvent = "event: stdout\n"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> StderrEvent = "event: stderr\n"u8.ToArray();
}
