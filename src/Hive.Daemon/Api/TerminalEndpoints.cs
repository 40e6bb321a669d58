using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Hive.Daemon.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

/// <summary>
/// <c>GET /v1/sandboxes/{name}/terminal</c>, a WebSocket: a command under a pseudo-terminal in the sandbox.
/// Client → daemon: first a text message { command?, cwd?, env?, rows?, cols? }, then binary messages (keystrokes)
/// and text messages {"type":"resize","rows":R,"cols":C}. Daemon → client: binary messages (the terminal's output),
/// then one text message {"type":"exit","exitCode":N,"durationMs":D} (or {"type":"error", problem…}) and a close.
/// Closing the socket before the exit kills the command's session.
/// </summary>
public static class TerminalEndpoints
{
    public const string Path = "/v1/sandboxes/{name}/terminal";

    /// <summary>The largest first message (a command line and its env).</summary>
    public const int MaxStartBytes = 1 << 20;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    public static void MapTerminal(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, async (string name, HttpContext context, SandboxManager m) =>
        {
            m.Get(name); // 404 before the upgrade
            if (!context.WebSockets.IsWebSocketRequest)
                throw ApiProblem.BadRequest("this route is a WebSocket: connect with an Upgrade: websocket request (see docs/api.md, \"Interactive terminal\")");
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await RunAsync(name, socket, m, context.RequestAborted);
            return Results.Empty;
        }).WithTags("Exec").WithSummary("Open an interactive terminal (WebSocket): a command under a pseudo-terminal, recorded as exec.request/exec.response");
    }

    private static async Task RunAsync(string name, WebSocket socket, SandboxManager m, CancellationToken ct)
    {
        var input = Channel.CreateBounded<TerminalInput>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
        Task reading = Task.CompletedTask;
        string final;
        WebSocketCloseStatus closeStatus;
        try
        {
            using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            startTimeout.CancelAfter(StartTimeout);
            var first = await ReceiveTextAsync(socket, startTimeout.Token)
                ?? throw ApiProblem.BadRequest("the first message must be a text message { command?, cwd?, env?, rows?, cols? }");
            var (spec, size) = TerminalRequest.Parse(first);
            // Cancelling a WebSocket's receive aborts the socket: the reader runs until the client's close instead.
            reading = ReadInputAsync(socket, input.Writer, ct);
            var outcome = await m.TerminalAsync(name, spec, size, input.Reader.ReadAllAsync(ct),
                (data, token) => socket.SendAsync(data, WebSocketMessageType.Binary, true, token), ct);
            final = JsonSerializer.Serialize(new { type = "exit", exitCode = outcome.ExitCode, durationMs = outcome.DurationMs });
            closeStatus = WebSocketCloseStatus.NormalClosure;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            return; // the client went away, or the daemon stops: the command was killed with the connection to hive-init
        }
        catch (Exception e)
        {
            var (status, title, detail, errors) = ApiErrors.Classify(e);
            var problem = new JsonObject { ["type"] = "error", ["status"] = status, ["title"] = title, ["detail"] = detail };
            if (errors is not null) problem["errors"] = new JsonArray([.. errors.Select(x => (JsonNode)new JsonObject { ["path"] = x.Path, ["message"] = x.Message })]);
            final = problem.ToJsonString();
            closeStatus = status >= 500 ? WebSocketCloseStatus.InternalServerError : WebSocketCloseStatus.PolicyViolation;
        }
        // Keystrokes still arriving after the exit are dropped.
        _ = Task.Run(async () => { await foreach (var _ in input.Reader.ReadAllAsync(CancellationToken.None)) { } }, CancellationToken.None);
        await SendTextAsync(socket, final, ct);
        await CloseAsync(socket, closeStatus, closeStatus == WebSocketCloseStatus.NormalClosure ? "exited" : "error");
        try { await reading.WaitAsync(TimeSpan.FromSeconds(5), ct); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { socket.Abort(); }
    }

    /// <summary>The client's messages as terminal input, until it closes (which ends the input, and so the command).</summary>
    private static async Task ReadInputAsync(WebSocket socket, ChannelWriter<TerminalInput> input, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        var control = new ArrayBufferWriter<byte>();
        Exception? failure = null;
        try
        {
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer, ct);
                if (r.MessageType == WebSocketMessageType.Close) break;
                if (r.MessageType == WebSocketMessageType.Binary)
                {
                    if (r.Count > 0) await input.WriteAsync(TerminalInput.Typed(buffer.AsSpan(0, r.Count).ToArray()), ct);
                    continue;
                }
                if (control.WrittenCount + r.Count > 4096) throw ApiProblem.BadRequest("a control message is at most 4096 bytes");
                control.Write(buffer.AsSpan(0, r.Count));
                if (!r.EndOfMessage) continue;
                var size = TerminalRequest.ParseResize(control.WrittenSpan);
                control.ResetWrittenCount();
                await input.WriteAsync(TerminalInput.Resized(size), ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        catch (ApiProblem e) { failure = e; }
        input.TryComplete(failure);
    }

    private static async Task<byte[]?> ReceiveTextAsync(WebSocket socket, CancellationToken ct)
    {
        var message = new ArrayBufferWriter<byte>();
        while (true)
        {
            var r = await socket.ReceiveAsync(message.GetMemory(4096), ct);
            if (r.MessageType != WebSocketMessageType.Text) return null;
            message.Advance(r.Count);
            if (message.WrittenCount > MaxStartBytes) throw ApiProblem.BadRequest($"the first message is at most {MaxStartBytes} bytes");
            if (r.EndOfMessage) return message.WrittenSpan.ToArray();
        }
    }

    private static async Task SendTextAsync(WebSocket socket, string text, CancellationToken ct)
    {
        try { await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await socket.CloseOutputAsync(status, reason.Length > 100 ? reason[..100] : reason, timeout.Token); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
    }
}
