using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hive.Core.Mcp;

/// <summary>A JSON-RPC <c>tools/call</c> request seen on its way into a sandbox. <see cref="IdKey"/> is the id's raw JSON.</summary>
public sealed record ToolCall(string IdKey, string Tool, JsonObject? Arguments);

/// <summary>How a tool call ended, as its JSON-RPC response says.</summary>
public sealed record ToolOutcome(string IdKey, bool IsError, int? ExitCode, string? Error);

/// <summary>
/// Reads MCP's JSON-RPC messages as the daemon's ingress sees them: <c>tools/call</c> requests in a POST body (one
/// message or a batch) and responses in a JSON body or an SSE event's data. Anything else, or malformed JSON, is
/// not a tool call; nothing here throws on input.
/// </summary>
public static class ToolCalls
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static IReadOnlyList<ToolCall> FromRequest(ReadOnlyMemory<byte> body)
    {
        var calls = new List<ToolCall>();
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body.Span, documentOptions: Options);
        }
        catch (JsonException)
        {
            return calls;
        }
        foreach (var message in Messages(root))
        {
            if (message["method"] is not JsonValue m || !m.TryGetValue<string>(out var method) || method != "tools/call") continue;
            if (message["id"] is not { } id) continue; // a notification gets no response; MCP never sends tools/call as one
            var p = message["params"] as JsonObject;
            var name = p?["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : "";
            calls.Add(new ToolCall(id.ToJsonString(), name, p?["arguments"] as JsonObject));
        }
        return calls;
    }

    /// <summary>Responses (results or errors) in one JSON text: a single message or a batch.</summary>
    public static IReadOnlyList<ToolOutcome> FromResponse(ReadOnlySpan<byte> json)
    {
        var outcomes = new List<ToolOutcome>();
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: Options);
        }
        catch (JsonException)
        {
            return outcomes;
        }
        foreach (var message in Messages(root))
        {
            if (message["id"] is not { } id || message.ContainsKey("method")) continue;
            if (message["error"] is JsonObject error)
            {
                var text = error["message"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "error";
                outcomes.Add(new ToolOutcome(id.ToJsonString(), true, null, text));
                continue;
            }
            var result = message["result"] as JsonObject;
            var isError = result?["isError"] is JsonValue e && e.TryGetValue<bool>(out var b) && b;
            int? exitCode = result?["structuredContent"]?["exitCode"] is JsonValue x && x.TryGetValue<int>(out var code) ? code : null;
            outcomes.Add(new ToolOutcome(id.ToJsonString(), isError, exitCode, null));
        }
        return outcomes;
    }

    /// <summary>What <c>exec.request</c> shows as <c>command</c>: bash's command line, or the tool and its main argument.</summary>
    public static IReadOnlyList<string> Command(string tool, JsonObject? arguments)
    {
        string? Arg(string name) => arguments?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (tool == "bash") return ["bash", "-c", Arg("command") ?? ""];
        var main = Arg("path") ?? Arg("pattern");
        return main is null ? [tool] : [tool, main];
    }

    private static IEnumerable<JsonObject> Messages(JsonNode? root)
    {
        if (root is JsonObject o) yield return o;
        else if (root is JsonArray a)
            foreach (var item in a)
                if (item is JsonObject m) yield return m;
    }
}
