using System.Diagnostics;
using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Core.Http;
using Hive.Core.Mcp;
using Hive.Daemon.Events;

namespace Hive.Daemon.Ingress;

/// <summary>
/// The MCP tool calls of one HTTP exchange through sandbox.url: an <c>exec.request</c> event for each
/// <c>tools/call</c> in the request body (before it reaches the sandbox), an <c>exec.response</c> for each
/// response seen coming back (JSON or SSE), and one saying so for any call whose response never came through.
/// Recorded by the daemon from the traffic itself, so nothing inside the sandbox can hide or forge a call.
/// </summary>
public sealed class McpExchange
{
    private sealed record Pending(ToolCall Call, long RequestId, long StartedAt);

    /// <summary>A JSON (not SSE) response larger than this is passed on without being read for outcomes.</summary>
    private const int MaxJsonResponse = 8 * 1024 * 1024;

    private readonly string _sandbox;
    private readonly EventBus _events;
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private SseDataReader? _sse;
    private MemoryStream? _json;
    private bool _decided;
    private bool _ignored;

    private McpExchange(string sandbox, EventBus events)
    {
        _sandbox = sandbox;
        _events = events;
    }

    /// <summary>Records the tool calls in <paramref name="body"/>; null when there are none (nothing to watch for).</summary>
    public static McpExchange? Begin(string sandbox, ReadOnlyMemory<byte> body, string? session, IReadOnlyList<string> secrets, EventBus events)
    {
        var calls = ToolCalls.FromRequest(body);
        if (calls.Count == 0) return null;
        var exchange = new McpExchange(sandbox, events);
        foreach (var call in calls)
        {
            var args = ToolCallRedaction.Redact(call.Arguments, secrets) as JsonObject;
            var command = new JsonArray();
            foreach (var part in ToolCalls.Command(call.Tool, call.Arguments)) command.Add(ToolCallRedaction.Text(part, secrets));
            var e = events.Enqueue(sandbox, EventTypes.ExecRequest, new JsonObject
            {
                ["command"] = command,
                ["cwd"] = call.Arguments?["cwd"] is JsonValue cwd && cwd.TryGetValue<string>(out var c) ? ToolCallRedaction.Text(c, secrets) : null,
                ["source"] = "mcp",
                ["tool"] = ToolCallRedaction.Text(call.Tool, secrets),
                ["arguments"] = args,
                ["session"] = session,
            });
            exchange._pending[call.IdKey] = new Pending(call, e.Id, Stopwatch.GetTimestamp());
        }
        return exchange;
    }

    /// <summary>Bytes of the response body on their way to the client.</summary>
    public void OnResponseBytes(ReadOnlySpan<byte> bytes, string? contentType)
    {
        lock (_gate)
        {
            if (!_decided)
            {
                _decided = true;
                if (contentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true) _sse = new SseDataReader();
                else if (contentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true) _json = new MemoryStream();
                else _ignored = true;
            }
            if (_ignored || _pending.Count == 0) return;
            if (_sse is not null) _sse.Feed(bytes, data => Resolve(ToolCalls.FromResponse(data.Span)));
            else if (_json is not null && _json.Length + bytes.Length <= MaxJsonResponse) _json.Write(bytes);
        }
    }

    /// <summary>The exchange is over: a JSON body is read now; calls still unanswered get an exec.response that says why.</summary>
    public void Finish(string? failure)
    {
        lock (_gate)
        {
            if (_json is not null) Resolve(ToolCalls.FromResponse(_json.GetBuffer().AsSpan(0, (int)_json.Length)));
            foreach (var p in _pending.Values)
            {
                Emit(p, new JsonObject
                {
                    ["isError"] = true,
                    ["error"] = failure ?? "no response to this call came back through sandbox.url (the client went away or the server ended the stream)",
                });
            }
            _pending.Clear();
        }
    }

    private void Resolve(IReadOnlyList<ToolOutcome> outcomes)
    {
        foreach (var o in outcomes)
        {
            if (!_pending.Remove(o.IdKey, out var p)) continue;
            var data = new JsonObject { ["exitCode"] = o.ExitCode, ["isError"] = o.IsError };
            if (o.Error is not null) data["error"] = o.Error;
            Emit(p, data);
        }
    }

    private void Emit(Pending p, JsonObject data)
    {
        data["requestId"] = p.RequestId;
        data["tool"] = p.Call.Tool;
        data["durationMs"] = (long)Stopwatch.GetElapsedTime(p.StartedAt).TotalMilliseconds;
        _events.Enqueue(_sandbox, EventTypes.ExecResponse, data);
    }
}
