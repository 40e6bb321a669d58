using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Hive.Core.Config;

/// <summary>
/// Parses and validates a SandboxConfig body (docs/configuration.md) into its normalised form, collecting every error with its
/// JSON path. Error messages never quote env values or override values.
/// </summary>
public static class ConfigParser
{
    public const int MaxEnvVariables = 256;
    public const int MaxTtl = 2_592_000;

    private static readonly string[] RootFields = ["image", "env", "secrets", "fs", "egress", "egressDefault", "askTimeout", "ttl", "resources"];
    private static readonly string[] ResourceFields = ["cpus", "memoryMb", "pids"];
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    /// <summary>Parses a UTF-8 JSON body; empty or whitespace means all defaults.</summary>
    /// <param name="sandboxName">Names the default volumes; must be a valid <see cref="Hive.Core.SandboxName"/>.</param>
    public static ConfigParseResult Parse(ReadOnlySpan<byte> utf8Json, string sandboxName)
    {
        if (!Core.SandboxName.IsValid(sandboxName))
            throw new ArgumentException($"not a valid sandbox name (must match {Core.SandboxName.Pattern})", nameof(sandboxName));

        if (utf8Json.StartsWith("\uFEFF"u8)) utf8Json = utf8Json[3..];
        var context = new ParseContext(sandboxName);
        if (utf8Json.Trim(" \t\r\n"u8).IsEmpty) return Build(context, root: null);

        if (FirstInvalidUtf8(utf8Json) is var bad and >= 0)
            return Failed(JsonPath.Root, $"the body is not valid UTF-8 (at byte {bad})");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            return Failed(JsonPath.Root, "invalid JSON: " + e.Message);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return Failed(JsonPath.Root, "must be a JSON object" + ParseContext.Got(document.RootElement, JsonValueKind.Object));
            return Build(context, document.RootElement);
        }
    }

    public static ConfigParseResult Parse(string json, string sandboxName) => Parse(Encoding.UTF8.GetBytes(json), sandboxName);

    private static ConfigParseResult Build(ParseContext c, JsonElement? root)
    {
        var fields = root is { } r ? c.Fields(r, "", RootFields)! : [];
        var image = ParseImage(c, Field(fields, "image"));
        var env = ParseEnv(c, Field(fields, "env"));
        var secrets = ParseSecrets(c, Field(fields, "secrets"), env);
        var fs = FsConfigParser.Parse(c, Field(fields, "fs"));
        var egress = EgressConfigParser.Parse(c, Field(fields, "egress"));
        var egressDefault = Field(fields, "egressDefault") is { } d
            ? c.Choice(d, "egressDefault", [("deny", EgressDefault.Deny), ("ask", EgressDefault.Ask)]) ?? EgressDefault.Deny
            : EgressDefault.Deny;
        var askTimeout = Field(fields, "askTimeout") is { } at
            ? c.Integer(at, "askTimeout", 1, SandboxConfig.MaxAskTimeout, " (seconds a held request waits for a person's decision)") ?? SandboxConfig.DefaultAskTimeout
            : SandboxConfig.DefaultAskTimeout;
        var ttl = Field(fields, "ttl") is { } t ? c.Integer(t, "ttl", 0, MaxTtl, " (seconds idle before the sandbox stops; 0 = never)") ?? 0 : 0;
        var resources = ParseResources(c, Field(fields, "resources"));

        if (c.Errors.Count > 0) return new ConfigParseResult(null, c.Errors.AsReadOnly());
        var config = new SandboxConfig
        {
            Image = image, Env = env, Secrets = secrets, Fs = fs, Egress = egress, EgressDefault = egressDefault, AskTimeout = askTimeout, Ttl = ttl, Resources = resources,
        };
        return new ConfigParseResult(config, []);
    }

    internal static JsonElement? Field(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) ? value : null;

    private static ConfigParseResult Failed(string path, string message) => new(null, [new ConfigError(path, message)]);

    private static string ParseImage(ParseContext c, JsonElement? value)
    {
        if (value is not { } v) return SandboxConfig.DefaultImage;
        var image = c.String(v, "image");
        if (image is null) return SandboxConfig.DefaultImage;
        if (!IsImageName(image))
            c.Error("image", "must be an image name such as hive/base or myorg/tool:1.2: lower-case components of a-z, 0-9, ., _ and - separated by /, an optional :tag, at most 200 characters");
        return image;
    }

    // Components must start and end with a letter or digit, so a name can never be ".." or contain "//" and is
    // safe to use as a relative path below the image store.
    private static bool IsImageName(string image)
    {
        if (image.Length is 0 or > 200) return false;
        var colon = image.IndexOf(':');
        var name = colon < 0 ? image : image[..colon];
        if (colon >= 0)
        {
            var tag = image[(colon + 1)..];
            if (tag.Length is 0 or > 128 || !(char.IsAsciiLetterOrDigit(tag[0]) || tag[0] == '_')
                || !tag.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-'))
                return false;
        }
        foreach (var component in name.Split('/'))
        {
            if (component.Length == 0 || !IsLowerAlnum(component[0]) || !IsLowerAlnum(component[^1])) return false;
            if (!component.All(ch => IsLowerAlnum(ch) || ch is '.' or '_' or '-')) return false;
        }
        return true;

        static bool IsLowerAlnum(char ch) => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch);
    }

    internal static bool IsEnvName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');

    private static bool IsSecretName(string name) =>
        name.Length is > 0 and <= 128 && char.IsAsciiLetterOrDigit(name[0])
        && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-');

    private static string? CheckEnvName(string name) =>
        IsEnvName(name) ? null : "invalid variable name: use letters, digits and _, not starting with a digit";

    private static IReadOnlyDictionary<string, string> ParseEnv(ParseContext c, JsonElement? value)
    {
        if (value is not { } v) return Empty;
        var env = c.Map(v, "env", CheckEnvName, text => text.Contains('\0') ? "value must not contain NUL characters" : null);
        if (v.ValueKind == JsonValueKind.Object && v.GetPropertyCount() > MaxEnvVariables)
            c.Error("env", $"must have at most {MaxEnvVariables} variables");
        return env;
    }

    private static IReadOnlyDictionary<string, string> ParseSecrets(ParseContext c, JsonElement? value, IReadOnlyDictionary<string, string> env)
    {
        if (value is not { } v) return Empty;
        var secrets = c.Map(v, "secrets", CheckEnvName, name => IsSecretName(name)
            ? null
            : "must be a secret name: 1-128 characters of letters, digits, _, . and -, starting with a letter or digit");
        foreach (var variable in secrets.Keys)
            if (env.ContainsKey(variable))
                c.Error(JsonPath.Property("secrets", variable), "is also set in env; a variable comes either from env or from a secret");
        return secrets;
    }

    private static Resources ParseResources(ParseContext c, JsonElement? value)
    {
        var defaults = Resources.Default;
        if (value is not { } v) return defaults;
        var fields = c.Fields(v, "resources", ResourceFields);
        if (fields is null) return defaults;
        return new Resources(
            Field(fields, "cpus") is { } cpus ? c.Number(cpus, "resources.cpus", 0.01, 64) ?? defaults.Cpus : defaults.Cpus,
            Field(fields, "memoryMb") is { } memory ? c.Integer(memory, "resources.memoryMb", 16, 1_048_576) ?? defaults.MemoryMb : defaults.MemoryMb,
            Field(fields, "pids") is { } pids ? c.Integer(pids, "resources.pids", 8, 1_048_576) ?? defaults.Pids : defaults.Pids);
    }

    internal static IReadOnlyDictionary<string, string> Empty { get; } =
        new Dictionary<string, string>().AsReadOnly();

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done) return offset;
            offset += consumed;
        }
        return -1;
    }
}
