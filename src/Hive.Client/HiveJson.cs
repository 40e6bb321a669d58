using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace HiveClient;

/// <summary>The JSON conventions of the Hive API: camelCase, nulls omitted when writing, source-generated.</summary>
public static class HiveJson
{
    /// <summary>Options for every type of this SDK (lenient: unknown fields from the daemon are ignored).</summary>
    public static JsonSerializerOptions Options { get; } = HiveJsonContext.Default.Options;

    /// <summary>Like <see cref="Options"/>, but unknown fields are an error (for configs people write by hand).</summary>
    public static JsonSerializerOptions StrictOptions { get; } = new(HiveJsonContext.Default.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    // What this SDK prints for people (CLI output, config files) keeps non-ASCII and + < > & as they are.
    private static readonly JsonSerializerOptions Readable = new(Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions ReadableIndented = new(Readable) { WriteIndented = true };

    /// <summary>Serializes any SDK type (config, sandbox info, apply result, ...) as readable JSON.</summary>
    public static string Serialize<T>(T value, bool indented = false) =>
        JsonSerializer.Serialize(value, (JsonTypeInfo<T>)(indented ? ReadableIndented : Readable).GetTypeInfo(typeof(T)));

    /// <summary>Serializes a JSON node, indented or on one line.</summary>
    public static string Serialize(JsonNode? node, bool indented = false) =>
        node?.ToJsonString(indented ? ReadableIndented : Readable) ?? "null";

    internal static SandboxConfig ParseConfig(string json, bool strict)
    {
        try
        {
            return JsonSerializer.Deserialize(json, (JsonTypeInfo<SandboxConfig>)(strict ? StrictOptions : Options).GetTypeInfo(typeof(SandboxConfig)))
                ?? throw new JsonException("a sandbox config must be a JSON object, not null.");
        }
        catch (JsonException e) when (e.Path is not null)
        {
            // Say it the way the daemon does: "egress[0].hots: unknown field", without .NET type names.
            var path = e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path.TrimStart('$');
            var message = e.Message;
            var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
            if (cut >= 0) message = message[..cut];
            if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) message = "unknown field";
            else if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)) message = "wrong type of value";
            var where = path.Length == 0 ? "" : path + ": ";
            throw new JsonException($"{where}{message} (line {e.LineNumber + 1})", e.Path, e.LineNumber, e.BytePositionInLine, e);
        }
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(SandboxConfig))]
[JsonSerializable(typeof(SandboxInfo))]
[JsonSerializable(typeof(List<SandboxInfo>))]
[JsonSerializable(typeof(HealthInfo))]
[JsonSerializable(typeof(ApplyResult))]
[JsonSerializable(typeof(ExecRequest))]
[JsonSerializable(typeof(ExecResult))]
[JsonSerializable(typeof(ExecFrame))]
[JsonSerializable(typeof(List<FileEntry>))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(SecretInfo))]
[JsonSerializable(typeof(List<SecretInfo>))]
[JsonSerializable(typeof(List<SecretActivity>))]
[JsonSerializable(typeof(ExecChunk))]
[JsonSerializable(typeof(ExecExit))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(DateTimeOffset))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, JsonNode>))]
internal sealed partial class HiveJsonContext : JsonSerializerContext;

/// <summary>Reads egress as a rule list or as <c>{ allow, deny }</c>; always writes the list.</summary>
internal sealed class EgressListConverter : JsonConverter<List<EgressRule>>
{
    public override List<EgressRule>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var rule = (JsonTypeInfo<EgressRule>)options.GetTypeInfo(typeof(EgressRule));
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType == JsonTokenType.StartArray) return ReadList(ref reader, rule, "$.egress");
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("egress must be a list of rules or an object { \"allow\": [...], \"deny\": [...] }.");

        List<EgressRule>? allow = null, deny = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "allow": allow = reader.TokenType == JsonTokenType.Null ? null : ReadList(ref reader, rule, "$.egress.allow"); break;
                case "deny": deny = reader.TokenType == JsonTokenType.Null ? null : ReadList(ref reader, rule, "$.egress.deny"); break;
                default:
                    if (options.UnmappedMemberHandling == JsonUnmappedMemberHandling.Disallow)
                        throw new JsonException("unknown field (egress takes 'allow' and 'deny')", $"$.egress.{name}", null, null);
                    reader.Skip();
                    break;
            }
        }
        return EgressRules.FromAllowDeny(allow, deny);
    }

    private static List<EgressRule> ReadList(ref Utf8JsonReader reader, JsonTypeInfo<EgressRule> rule, string path)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected a list of egress rules", path, null, null);
        var list = new List<EgressRule>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var at = $"{path}[{list.Count}]";
            EgressRule? r;
            try
            {
                r = JsonSerializer.Deserialize(ref reader, rule);
            }
            catch (JsonException e)
            {
                // The nested call only knows the path inside the rule; give the whole one.
                throw new JsonException(e.Message, at + (e.Path ?? "$")[1..], e.LineNumber, e.BytePositionInLine, e);
            }
            list.Add(r ?? throw new JsonException("an egress rule cannot be null", at, null, null));
        }
        return list;
    }

    public override void Write(Utf8JsonWriter writer, List<EgressRule> value, JsonSerializerOptions options)
    {
        var rule = (JsonTypeInfo<EgressRule>)options.GetTypeInfo(typeof(EgressRule));
        writer.WriteStartArray();
        foreach (var r in value) JsonSerializer.Serialize(writer, r, rule);
        writer.WriteEndArray();
    }
}

/// <summary><c>command</c> is a JSON string (shell) or an array of strings (argv).</summary>
internal sealed class ExecCommandConverter : JsonConverter<ExecCommand>
{
    public override ExecCommand? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null: return null;
            case JsonTokenType.String: return new ExecCommand(reader.GetString()!);
            case JsonTokenType.StartArray:
                var argv = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    argv.Add(reader.GetString() ?? throw new JsonException("command words cannot be null."));
                return new ExecCommand(argv);
            default: throw new JsonException("command must be a string or a list of strings.");
        }
    }

    public override void Write(Utf8JsonWriter writer, ExecCommand value, JsonSerializerOptions options)
    {
        if (value.Shell is not null) { writer.WriteStringValue(value.Shell); return; }
        writer.WriteStartArray();
        foreach (var a in value.Argv!) writer.WriteStringValue(a);
        writer.WriteEndArray();
    }
}

/// <summary>A time as an RFC 3339 string or as Unix seconds (milliseconds when too large for seconds).</summary>
internal sealed class FlexibleTimeConverter : JsonConverter<DateTimeOffset?>
{
    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null: return null;
            case JsonTokenType.String: return reader.GetDateTimeOffset();
            case JsonTokenType.Number:
                var n = reader.GetDouble();
                return Math.Abs(n) > 1e11
                    ? DateTimeOffset.FromUnixTimeMilliseconds((long)n)
                    : DateTimeOffset.FromUnixTimeMilliseconds((long)(n * 1000));
            default: throw new JsonException("Expected a time.");
        }
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } v) writer.WriteStringValue(v);
        else writer.WriteNullValue();
    }
}
