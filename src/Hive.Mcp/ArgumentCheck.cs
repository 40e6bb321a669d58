using System.Text.Json;

namespace Hive.Mcp;

/// <summary>
/// Checks a tool call's arguments against the tool's input schema before the call is bound, so a missing or
/// mistyped argument gets an error that names it ("offset must be an integer, not a string") rather than the
/// SDK's generic one.
/// </summary>
public static class ArgumentCheck
{
    /// <summary>The first problem with <paramref name="arguments"/>, or null when they fit the schema.</summary>
    public static string? Problem(JsonElement schema, IDictionary<string, JsonElement>? arguments)
    {
        if (schema.ValueKind != JsonValueKind.Object) return null;
        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in required.EnumerateArray())
            {
                var name = r.GetString();
                if (name is null) continue;
                if (arguments is null || !arguments.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null) return $"{name} is required";
            }
        }
        if (arguments is null || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object) return null;
        foreach (var (name, value) in arguments)
        {
            if (!properties.TryGetProperty(name, out var property)) continue; // unknown arguments are ignored, as clients expect
            if (!property.TryGetProperty("type", out var type)) continue;
            if (!Fits(type, value)) return $"{name} must be {Describe(type)}, not {Kind(value)}";
            if (value.ValueKind == JsonValueKind.Array && property.TryGetProperty("items", out var items) && items.TryGetProperty("type", out var itemType))
            {
                foreach (var item in value.EnumerateArray())
                    if (!Fits(itemType, item)) return $"{name} must be an array of {Plural(itemType)}, but holds {Kind(item)}";
            }
        }
        return null;
    }

    private static bool Fits(JsonElement type, JsonElement value)
    {
        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in type.EnumerateArray())
                if (Fits(t, value)) return true;
            return false;
        }
        if (type.ValueKind != JsonValueKind.String) return true; // a schema shape this check does not know
        return type.GetString() switch
        {
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "array" => value.ValueKind == JsonValueKind.Array,
            "object" => value.ValueKind == JsonValueKind.Object,
            "null" => value.ValueKind == JsonValueKind.Null,
            _ => true,
        };
    }

    private static string Describe(JsonElement type) =>
        string.Join(" or ", Names(type).Select(n => n switch { "integer" => "an integer", "array" => "an array", "object" => "an object", _ => "a " + n }));

    private static string Plural(JsonElement type) => Names(type) is [var one] ? one + "s" : "values";

    /// <summary>The type names of a schema's <c>type</c> (a string or an array of them), "null" left out.</summary>
    private static List<string> Names(JsonElement type) => type.ValueKind switch
    {
        JsonValueKind.Array => type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).Where(t => t != "null").ToList(),
        JsonValueKind.String => [type.GetString()!],
        _ => [],
    };

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => value.TryGetInt64(out _) ? "an integer" : "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
