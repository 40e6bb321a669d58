using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hive.Daemon.Sandboxes;
using Hive.Runtime.Host;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

public static class ExecEndpoints
{
    public static void MapExec(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/sandboxes/{name}/exec", async (string name, HttpContext context, SandboxManager m) =>
        {
            // The client going away cancels the command: RequestAborted is the token all the way down.
            var ct = context.RequestAborted;
            var spec = ExecRequest.Parse((await HttpBody.ReadJsonAsync(context.Request, ct)).Span);
            if (Sse.Wanted(context.Request)) return await StreamAsync(name, spec, context, m, ct);

            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            var decoders = (Out: Encoding.UTF8.GetDecoder(), Err: Encoding.UTF8.GetDecoder());
            var outcome = await m.ExecAsync(name, spec, (kind, data, _) =>
            {
                Append(kind == ExecStream.Stdout ? stdout : stderr, kind == ExecStream.Stdout ? decoders.Out : decoders.Err, data.Span);
                return ValueTask.CompletedTask;
            }, ct);
            var body = new JsonObject
            {
                ["exitCode"] = outcome.ExitCode,
                ["stdout"] = stdout.ToString(),
                ["stderr"] = stderr.ToString(),
                ["durationMs"] = outcome.DurationMs,
                ["timedOut"] = outcome.TimedOut,
            };
            return Results.Text(body.ToJsonString(), "application/json");
        }).WithTags("Exec").WithSummary("Run a command; with Accept: text/event-stream, stream stdout/stderr/exit frames");
    }

    private static async Task<IResult> StreamAsync(string name, ExecSpec spec, HttpContext context, SandboxManager m, CancellationToken ct)
    {
        Sse? sse = null;
        var decoders = (Out: Encoding.UTF8.GetDecoder(), Err: Encoding.UTF8.GetDecoder());
        var outcome = await m.ExecAsync(name, spec, async (kind, data, token) =>
        {
            sse ??= Sse.Start(context);
            var text = new StringBuilder();
            Append(text, kind == ExecStream.Stdout ? decoders.Out : decoders.Err, data.Span);
            if (text.Length == 0) return;
            var frame = new JsonObject { ["data"] = text.ToString() }.ToJsonString();
            await sse.WriteAsync(kind == ExecStream.Stdout ? "stdout" : "stderr", frame, null, token);
        }, ct);
        sse ??= Sse.Start(context);
        var exit = JsonSerializer.Serialize(new { exitCode = outcome.ExitCode, durationMs = outcome.DurationMs, timedOut = outcome.TimedOut });
        await sse.WriteAsync("exit", exit, null, ct);
        return Results.Empty;
    }

    // A decoder per stream keeps a multi-byte character split across two reads intact.
    private static void Append(StringBuilder sb, Decoder decoder, ReadOnlySpan<byte> bytes)
    {
        var buffer = new char[decoder.GetCharCount(bytes, flush: false)];
        var n = decoder.GetChars(bytes, buffer, flush: false);
        sb.Append(buffer, 0, n);
    }
}
