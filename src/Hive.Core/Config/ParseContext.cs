using System.Collections.ObjectModel;
using System.Text.Json;

namespace Hive.Core.Config;

/// <summary>
/// The state of one parse: the errors found so far and the typed readers that report into them.
/// JSON <c>null</c> is treated as an absent field, so SDKs that write nulls for unset properties work.
/// </summary>
internal sealed class ParseContext(string sandboxName)
{
    public string SandboxName { get; } = sandboxName;
    public List<ConfigError> Errors { get; } = [];

    public void Error(string path, string message) => Errors.Add(new ConfigError(JsonPath.Of(path), message));

    /// <summary>
    /// The known, non-null fields of an object (first occurrence of each). Unknown and duplicate keys are reported.
    /// Returns null (after reporting) when the value is not an object.
    /// </summary>
    public Dictionary<string, JsonElement>? Fields(JsonElement value, string path, string[] allowed)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object" + Got(value));
            return null;
        }
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var fieldPath = JsonPath.Property(path, property.Name);
            if (!seen.Add(property.Name)) { Error(fieldPath, "duplicate key"); continue; }
            if (Array.IndexOf(allowed, property.Name) < 0)
            {
                Error(fieldPath, UnknownField(property.Name, allowed));
                continue;
            }
            if (property.Value.ValueKind != JsonValueKind.Null) fields[property.Name] = property.Value;
        }
        return fields;
    }

    /// <summary>
    /// A string → string object. <paramref name="checkKey"/> and <paramref name="checkValue"/> return an error
    /// message or null. Key errors are reported at the key's path; value errors too, never quoting the value.
    /// </summary>
    public ReadOnlyDictionary<string, string> Map(
        JsonElement value, string path, Func<string, string?> checkKey, Func<string, string?> checkValue,
        StringComparer? duplicateComparer = null, string duplicateMessage = "duplicate key")
    {
        var result = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        if (value.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object" + Got(value));
            return new ReadOnlyDictionary<string, string>(result);
        }
        var seen = new HashSet<string>(duplicateComparer ?? StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var keyPath = JsonPath.Property(path, property.Name);
            if (!seen.Add(property.Name)) { Error(keyPath, duplicateMessage); continue; }
            var ok = true;
            if (checkKey(property.Name) is { } keyError) { Error(keyPath, keyError); ok = false; }
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                Error(keyPath, "value must be a string" + Got(property.Value));
                continue;
            }
            var text = property.Value.GetString()!;
            if (checkValue(text) is { } valueError) { Error(keyPath, valueError); ok = false; }
            if (ok) result[property.Name] = text;
        }
        return new ReadOnlyDictionary<string, string>(result);
    }

    /// <summary>The items of an array, or null (after reporting) when the value is not one.</summary>
    public JsonElement[]? List(JsonElement value, string path, string expected, bool nonEmpty = false)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(path, expected + Got(value));
            return null;
        }
        var items = value.EnumerateArray().ToArray();
        if (nonEmpty && items.Length == 0)
        {
            Error(path, expected + " (got an empty list)");
            return null;
        }
        return items;
    }

    public string? String(JsonElement value, string path, string expected = "must be a string")
    {
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        Error(path, expected + Got(value));
        return null;
    }

    public int? Integer(JsonElement value, string path, int min, int max, string? unit = null)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= min && n <= max)
            return (int)n;
        Error(path, $"must be an integer between {min} and {max}{unit}" + Got(value, JsonValueKind.Number));
        return null;
    }

    public double? Number(JsonElement value, string path, double min, double max)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d) && d >= min && d <= max)
            return d;
        Error(path, $"must be a number between {min.ToString(System.Globalization.CultureInfo.InvariantCulture)} and {max.ToString(System.Globalization.CultureInfo.InvariantCulture)}" + Got(value, JsonValueKind.Number));
        return null;
    }

    /// <summary>One of a fixed set of lower-case words.</summary>
    public T? Choice<T>(JsonElement value, string path, (string Name, T Value)[] choices) where T : struct
    {
        var names = string.Join(", ", choices.Select(c => c.Name));
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString();
            foreach (var (name, v) in choices)
                if (name == text) return v;
        }
        Error(path, $"must be one of {names}" + Got(value, JsonValueKind.String));
        return null;
    }

    /// <summary>
    /// Names the JSON kind found when it is not the one expected. Never quotes the value: it might be a secret.
    /// </summary>
    public static string Got(JsonElement value, JsonValueKind expected = JsonValueKind.Undefined) =>
        value.ValueKind == expected ? "" : value.ValueKind switch
    {
        JsonValueKind.String => " (got a string)",
        JsonValueKind.Number => " (got a number)",
        JsonValueKind.Object => " (got an object)",
        JsonValueKind.Array => " (got a list)",
        JsonValueKind.True or JsonValueKind.False => " (got a boolean)",
        JsonValueKind.Null => " (got null)",
        _ => "",
    };

    private static string UnknownField(string name, string[] allowed)
    {
        var allowedList = string.Join(", ", allowed);
        foreach (var candidate in allowed)
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
                return $"unknown field; did you mean \"{candidate}\"? (allowed: {allowedList})";
        return $"unknown field (allowed: {allowedList})";
    }
}
