using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace HiveClient;

/// <summary>
/// One record of the audit log (docs/events.md). <see cref="Data"/> holds every field of the event, including
/// <c>id</c>, <c>ts</c>, <c>sandbox</c> and <c>type</c>; read type-specific ones with <see cref="Get{T}(string)"/>
/// or the indexer, e.g. <c>e.Get&lt;string&gt;("access") == "denied"</c>.
/// </summary>
public sealed class SandboxEvent
{
    public SandboxEvent(JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Data = data;
        Id = Read<long>(data, "id");
        Ts = Read<DateTimeOffset>(data, "ts");
        Sandbox = Read<string>(data, "sandbox") ?? "";
        Type = Read<string>(data, "type") ?? "";
    }

    public long Id { get; }
    public DateTimeOffset Ts { get; }
    public string Sandbox { get; }
    public string Type { get; }

    /// <summary>All fields of the event as sent by the daemon.</summary>
    public JsonObject Data { get; }

    /// <summary>A field as a JSON node, or null when absent.</summary>
    public JsonNode? this[string field] => Data[field];

    /// <summary>
    /// A field converted to <typeparamref name="T"/> (string, numbers, bool, DateTimeOffset, string lists,
    /// JSON nodes, or any type System.Text.Json can bind); default when the field is absent or null.
    /// </summary>
    public T? Get<T>(string field) => Read<T>(Data, field);

    /// <summary>A field bound through the given metadata (for trimmed or AOT apps binding their own types).</summary>
    public T? Get<T>(string field, JsonTypeInfo<T> typeInfo) =>
        Data[field] is { } node ? node.Deserialize(typeInfo) : default;

    private static T? Read<T>(JsonObject data, string field)
    {
        var node = data[field];
        if (node is null) return default;
        if (node is T same) return same;
        if (node is JsonValue value && value.TryGetValue<T>(out var direct)) return direct;
        return node.Deserialize<T>(HiveJson.Options.TryGetTypeInfo(typeof(T), out _) ? HiveJson.Options : FallbackOptions);
    }

    // Binding a type this SDK does not know needs reflection; only used when the caller asks for one.
    private static readonly JsonSerializerOptions FallbackOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Parses one event from its JSON.</summary>
    public static SandboxEvent Parse(string json) =>
        new(JsonNode.Parse(json) as JsonObject ?? throw new JsonException("An event must be a JSON object."));

    public override string ToString() => Data.ToJsonString();
}
