using System.Text.Json;
using Hive.Core.Config;

namespace Hive.Core.Secrets;

/// <summary>What <c>PUT /v1/secrets/{name}</c> asks for. <see cref="Sandbox"/> null: not scoped to one sandbox.</summary>
public sealed record SecretSetRequest(string Value, string? Provider, IReadOnlyList<string>? Hosts, SecretAuth? Auth, bool Global, string? Sandbox)
{
    public override string ToString() => $"set ({Provider ?? "custom"}; value hidden)";
}

/// <summary>
/// Parses the bodies of the secret routes. Unknown fields are refused; every error names its field; no message ever
/// quotes a value (a secret's value least of all).
/// </summary>
public static class SecretRequests
{
    public const int MaxValueLength = 16 * 1024;
    private static readonly string[] SetFields = ["value", "provider", "hosts", "auth", "global", "sandbox"];
    private static readonly string[] AuthFields = ["type", "name", "prefix", "basicUser"];
    private static readonly string[] RotateFields = ["value", "sandbox"];

    /// <summary>Parses and validates the body for secret <paramref name="name"/>: every error at once, each naming its field.</summary>
    public static SecretSetRequest? ParseSet(string name, ReadOnlySpan<byte> body, out IReadOnlyList<ConfigError> errors)
    {
        var list = new List<ConfigError>();
        errors = list;
        using var doc = Parse(body, list);
        if (doc is null) return null;
        var root = doc.RootElement;
        Unknown(root, SetFields, "", list);
        var value = Value(root, list);
        var provider = OptionalString(root, "provider", list);
        IReadOnlyList<string>? hosts = null;
        if (root.TryGetProperty("hosts", out var h) && h.ValueKind != JsonValueKind.Null)
        {
            if (h.ValueKind != JsonValueKind.Array) list.Add(new("hosts", "must be an array of host names"));
            else
            {
                var hl = new List<string>();
                var i = 0;
                foreach (var e in h.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.String) list.Add(new($"hosts[{i}]", "must be a string"));
                    else hl.Add(e.GetString()!);
                    i++;
                }
                hosts = hl;
            }
        }
        var auth = Auth(root, list);
        var global = false;
        if (root.TryGetProperty("global", out var g) && g.ValueKind != JsonValueKind.Null)
        {
            if (g.ValueKind is JsonValueKind.True or JsonValueKind.False) global = g.GetBoolean();
            else list.Add(new("global", "must be true or false"));
        }
        var sandbox = OptionalString(root, "sandbox", list);
        if (sandbox is not null && !SandboxName.IsValid(sandbox))
            list.Add(new("sandbox", "must be a sandbox name: 1-63 letters, digits, '_' or '-', starting with a letter or digit"));
        if (global && sandbox is not null) list.Add(new("global", "a secret is global or scoped to one sandbox, not both"));
        if (!list.Any(e => e.Path.StartsWith("hosts", StringComparison.Ordinal) || e.Path.StartsWith("auth", StringComparison.Ordinal) || e.Path == "provider")
            && !new SecretDefinition(name, provider, hosts, auth).TryResolve(out _, out var definitionErrors))
            list.AddRange(definitionErrors.Select(e => new ConfigError(e.Field, e.Message)));
        return list.Count > 0 || value is null ? null : new SecretSetRequest(value, provider, hosts, auth, global, sandbox);
    }

    /// <summary>The body of <c>POST …/rotate</c>: <c>{ value, sandbox? }</c>.</summary>
    public static (string Value, string? Sandbox)? ParseRotate(ReadOnlySpan<byte> body, out IReadOnlyList<ConfigError> errors)
    {
        var list = new List<ConfigError>();
        errors = list;
        using var doc = Parse(body, list);
        if (doc is null) return null;
        Unknown(doc.RootElement, RotateFields, "", list);
        var value = Value(doc.RootElement, list);
        var sandbox = OptionalString(doc.RootElement, "sandbox", list);
        return list.Count > 0 || value is null ? null : (value, sandbox);
    }

    /// <summary>Checks a value on its own (the CLI uses it before sending). The message never quotes it.</summary>
    public static string? CheckValue(string? value) =>
        string.IsNullOrEmpty(value) ? "is required: the secret's value (a non-empty string)"
        : value.Length > MaxValueLength ? $"is longer than {MaxValueLength} characters"
        : value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0 ? "must not contain line breaks or NUL: it is sent in a header or query"
        : value.Trim().Length != value.Length ? "must not start or end with white space (trailing newline from a file? it is trimmed by the CLI)"
        : value.Any(char.IsControl) ? "must not contain control characters"
        : null;

    private static JsonDocument? Parse(ReadOnlySpan<byte> body, List<ConfigError> errors)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            // The parser's message can quote the text around the error: report only where it is.
            errors.Add(new("$", $"is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})"));
            return null;
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("$", "must be a JSON object"));
            doc.Dispose();
            return null;
        }
        return doc;
    }

    private static void Unknown(JsonElement o, string[] known, string parent, List<ConfigError> errors)
    {
        foreach (var p in o.EnumerateObject())
            if (!known.Contains(p.Name, StringComparer.Ordinal))
                errors.Add(new(parent.Length == 0 ? p.Name : parent + "." + p.Name, $"unknown field (expected one of {string.Join(", ", known)})"));
    }

    private static string? Value(JsonElement root, List<ConfigError> errors)
    {
        if (!root.TryGetProperty("value", out var v) || v.ValueKind == JsonValueKind.Null) { errors.Add(new("value", CheckValue(null)!)); return null; }
        if (v.ValueKind != JsonValueKind.String) { errors.Add(new("value", "must be a string")); return null; }
        var value = v.GetString()!;
        if (CheckValue(value) is { } problem) { errors.Add(new("value", problem)); return null; }
        return value;
    }

    private static string? OptionalString(JsonElement o, string name, List<ConfigError> errors, string parent = "")
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        var path = parent.Length == 0 ? name : parent + "." + name;
        if (v.ValueKind != JsonValueKind.String) { errors.Add(new(path, "must be a string")); return null; }
        var s = v.GetString()!;
        if (s.Length == 0) { errors.Add(new(path, "must not be empty")); return null; }
        return s;
    }

    private static SecretAuth? Auth(JsonElement root, List<ConfigError> errors)
    {
        if (!root.TryGetProperty("auth", out var a) || a.ValueKind == JsonValueKind.Null) return null;
        if (a.ValueKind != JsonValueKind.Object) { errors.Add(new("auth", "must be an object: { type: bearer|header|basic|query, name?, prefix? }")); return null; }
        Unknown(a, AuthFields, "auth", errors);
        var typeText = OptionalString(a, "type", errors, "auth");
        SecretAuthType type = default;
        if (typeText is null) { errors.Add(new("auth.type", "is required: bearer, header, basic or query")); return null; }
        if (!Enum.TryParse(typeText, ignoreCase: true, out type) || !Enum.IsDefined(type) || typeText.Any(char.IsDigit))
        {
            errors.Add(new("auth.type", "must be bearer, header, basic or query"));
            return null;
        }
        return new SecretAuth(type, OptionalString(a, "name", errors, "auth"), OptionalString(a, "prefix", errors, "auth"), OptionalString(a, "basicUser", errors, "auth"));
    }
}
