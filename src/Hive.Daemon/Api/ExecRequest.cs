using System.Text.Json;
using Hive.Core.Config;

namespace Hive.Daemon.Api;

/// <summary>Parses the body of <c>POST …/exec</c> into an <see cref="ExecSpec"/>, with errors naming the field.</summary>
public static class ExecRequest
{
    public const int MaxTimeoutMs = 24 * 3600 * 1000;

    public static ExecSpec Parse(ReadOnlySpan<byte> body)
    {
        var errors = new List<ConfigError>();
        List<string>? command = null;
        string? cwd = null, stdin = null;
        Dictionary<string, string>? env = null;
        TimeSpan? timeout = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            throw ApiProblem.Invalid([new ConfigError("$", $"invalid JSON: {e.Message}")]);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw ApiProblem.Invalid([new ConfigError("$", "must be an object { command, cwd?, env?, stdin?, timeoutMs? }")]);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "command":
                        if (p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is { Length: > 0 } line)
                            command = ["/bin/sh", "-c", line];
                        else if (p.Value.ValueKind == JsonValueKind.Array && p.Value.GetArrayLength() > 0 && p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
                            command = p.Value.EnumerateArray().Select(e => e.GetString()!).ToList();
                        else errors.Add(new ConfigError("command", "must be a non-empty string (run by /bin/sh -c) or a non-empty array of strings"));
                        break;
                    case "cwd":
                        if (p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is { } c && c.StartsWith('/')) cwd = c;
                        else errors.Add(new ConfigError("cwd", "must be an absolute path inside the sandbox"));
                        break;
                    case "stdin":
                        if (p.Value.ValueKind == JsonValueKind.String) stdin = p.Value.GetString();
                        else errors.Add(new ConfigError("stdin", "must be a string"));
                        break;
                    case "timeoutMs":
                        if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var ms) && ms is > 0 and <= MaxTimeoutMs) timeout = TimeSpan.FromMilliseconds(ms);
                        else errors.Add(new ConfigError("timeoutMs", $"must be an integer between 1 and {MaxTimeoutMs}"));
                        break;
                    case "env":
                        if (p.Value.ValueKind != JsonValueKind.Object) { errors.Add(new ConfigError("env", "must be an object of strings")); break; }
                        env = new Dictionary<string, string>(StringComparer.Ordinal);
                        foreach (var e in p.Value.EnumerateObject())
                        {
                            if (e.Value.ValueKind != JsonValueKind.String) errors.Add(new ConfigError($"env.{e.Name}", "must be a string"));
                            else if (e.Name.Length == 0 || e.Name.Contains('=') || e.Name.Contains('\0')) errors.Add(new ConfigError($"env.{e.Name}", "is not a valid variable name"));
                            else env[e.Name] = e.Value.GetString()!;
                        }
                        break;
                    default:
                        errors.Add(new ConfigError(p.Name, "unknown field (allowed: command, cwd, env, stdin, timeoutMs)"));
                        break;
                }
            }
        }
        if (command is null && !errors.Any(e => e.Path == "command")) errors.Add(new ConfigError("command", "is required"));
        // A process's arguments, directory and environment are C strings: a NUL cannot be passed, only cut them short.
        if (command is not null && command.Any(HasNul)) errors.Add(new ConfigError("command", "must not contain NUL characters"));
        if (cwd is not null && HasNul(cwd)) errors.Add(new ConfigError("cwd", "must not contain NUL characters"));
        foreach (var (k, v) in env ?? []) if (HasNul(v)) errors.Add(new ConfigError($"env.{k}", "must not contain NUL characters"));
        if (errors.Count > 0) throw ApiProblem.Invalid(errors);
        return new ExecSpec(command!, cwd, env, stdin, timeout, 0, 0);
    }

    private static bool HasNul(string s) => s.Contains('\0');
}
