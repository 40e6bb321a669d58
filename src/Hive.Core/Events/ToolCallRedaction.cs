using System.Text.Json.Nodes;
using Hive.Core.Config;

namespace Hive.Core.Events;

/// <summary>
/// What an <c>exec.request</c> event may say about an MCP tool call: its arguments with every known secret value
/// replaced by <c>***</c>, and long strings (a whole file given to <c>write</c>) cut to a bounded preview.
/// </summary>
public static class ToolCallRedaction
{
    public const string Redacted = ConfigJson.Redacted;
    public const int MaxStringLength = 2048;

    /// <summary>Values shorter than this are not hunted for in free text: "1" or "on" would blank out everything.</summary>
    public const int MinSecretLength = 6;

    private static readonly string[] SecretLikeNames = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "PRIVATE"];

    /// <summary>
    /// The values of a config that never appear in an event: egress override headers and query values, and env values
    /// whose names say they are credentials (<c>*_API_KEY</c>, <c>*_TOKEN</c>, …). Longest first, so that a value
    /// containing another is replaced whole.
    /// </summary>
    public static IReadOnlyList<string> SecretValues(SandboxConfig config, IEnumerable<string>? more = null)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in config.Egress)
        {
            if (rule.Override is not { } o) continue;
            foreach (var v in o.Headers.Values) values.Add(v);
            foreach (var v in o.Query.Values) values.Add(v);
        }
        foreach (var (name, value) in config.Env)
            if (IsSecretLikeName(name)) values.Add(value);
        if (more is not null) foreach (var v in more) values.Add(v);
        values.RemoveWhere(v => v.Length < MinSecretLength);
        var list = values.ToList();
        list.Sort((a, b) => b.Length.CompareTo(a.Length));
        return list;
    }

    public static bool IsSecretLikeName(string name)
    {
        foreach (var s in SecretLikeNames)
            if (name.Contains(s, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>A redacted copy of <paramref name="node"/> (the original is left as it is).</summary>
    public static JsonNode? Redact(JsonNode? node, IReadOnlyList<string> secrets, int maxString = MaxStringLength) => node switch
    {
        null => null,
        JsonObject o => RedactObject(o, secrets, maxString),
        JsonArray a => RedactArray(a, secrets, maxString),
        JsonValue v when v.TryGetValue<string>(out var s) => JsonValue.Create(Text(s, secrets, maxString)),
        _ => node.DeepClone(),
    };

    /// <summary>Secret values replaced, then cut to <paramref name="maxString"/> characters with a note of the full length.</summary>
    public static string Text(string s, IReadOnlyList<string> secrets, int maxString = MaxStringLength)
    {
        foreach (var secret in secrets)
            if (s.Contains(secret, StringComparison.Ordinal)) s = s.Replace(secret, Redacted, StringComparison.Ordinal);
        // Cutting after replacing: a secret can never be split by the cut and leak its first half.
        return s.Length <= maxString ? s : string.Concat(s.AsSpan(0, maxString), $"… [{s.Length} characters]");
    }

    private static JsonObject RedactObject(JsonObject o, IReadOnlyList<string> secrets, int maxString)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in o)
        {
            // A credential-named argument is hidden whole, known value or not.
            copy[key] = IsSecretLikeName(key) && value is JsonValue ? Redacted : Redact(value, secrets, maxString);
        }
        return copy;
    }

    private static JsonArray RedactArray(JsonArray a, IReadOnlyList<string> secrets, int maxString)
    {
        var copy = new JsonArray();
        foreach (var item in a) copy.Add(Redact(item, secrets, maxString));
        return copy;
    }
}
