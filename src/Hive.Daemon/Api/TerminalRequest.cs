using System.Text.Json;
using System.Text.Json.Nodes;
using Hive.Core.Config;

namespace Hive.Daemon.Api;

/// <summary>
/// The first message of a terminal WebSocket: what <c>POST …/exec</c> takes (command, cwd, env) and the window size.
/// Without a command, the sandbox's login shell (bash when the image has it, else sh).
/// </summary>
public static class TerminalRequest
{
    public static readonly IReadOnlyList<string> DefaultShell =
        ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi"];

    /// <summary>What the command sees as $TERM unless env names one: the Inspector (xterm.js) and most local terminals speak it.</summary>
    public const string DefaultTerm = "xterm-256color";

    public static (ExecSpec Spec, TerminalSize Size) Parse(ReadOnlySpan<byte> message)
    {
        JsonObject body;
        try
        {
            body = JsonNode.Parse(message) as JsonObject
                ?? throw ApiProblem.Invalid([new ConfigError("$", "must be an object { command?, cwd?, env?, rows?, cols? }")]);
        }
        catch (JsonException e)
        {
            throw ApiProblem.Invalid([new ConfigError("$", $"invalid JSON: {e.Message}")]);
        }
        var errors = new List<ConfigError>();
        var rows = Dimension(body, "rows", TerminalSize.Default.Rows, errors);
        var cols = Dimension(body, "cols", TerminalSize.Default.Cols, errors);
        foreach (var field in new[] { "stdin", "timeoutMs" })
            if (body.ContainsKey(field)) errors.Add(new ConfigError(field, "is not for a terminal (allowed: command, cwd, env, rows, cols): send keystrokes as binary messages"));
        if (errors.Count > 0) throw ApiProblem.Invalid(errors);
        body.Remove("rows");
        body.Remove("cols");
        body["command"] ??= new JsonArray([.. DefaultShell.Select(s => (JsonNode)s)]);
        var spec = ExecRequest.Parse(JsonSerializer.SerializeToUtf8Bytes(body));
        var env = new Dictionary<string, string>(spec.Env ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        env.TryAdd("TERM", DefaultTerm);
        return (spec with { Env = env }, new TerminalSize(rows, cols));
    }

    /// <summary>A control message after the first: <c>{"type":"resize","rows":R,"cols":C}</c>.</summary>
    public static TerminalSize ParseResize(ReadOnlySpan<byte> message)
    {
        JsonObject? body;
        try { body = JsonNode.Parse(message) as JsonObject; }
        catch (JsonException) { body = null; }
        if (body is null || body["type"]?.GetValueKind() != JsonValueKind.String || body["type"]!.GetValue<string>() != "resize")
            throw ApiProblem.Invalid([new ConfigError("type", "a text message must be {\"type\":\"resize\",\"rows\":R,\"cols\":C}; keystrokes go as binary messages")]);
        var errors = new List<ConfigError>();
        var size = new TerminalSize(Dimension(body, "rows", 0, errors, required: true), Dimension(body, "cols", 0, errors, required: true));
        if (errors.Count > 0) throw ApiProblem.Invalid(errors);
        return size;
    }

    private static int Dimension(JsonObject body, string field, int fallback, List<ConfigError> errors, bool required = false)
    {
        var node = body[field];
        if (node is null)
        {
            if (required) errors.Add(new ConfigError(field, "is required"));
            return fallback;
        }
        if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<int>(out var n) && n is >= 1 and <= TerminalSize.Max) return n;
        errors.Add(new ConfigError(field, $"must be an integer between 1 and {TerminalSize.Max}"));
        return fallback;
    }
}
