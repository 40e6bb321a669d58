using System.Text;
using System.Text.Json;

namespace Hive.Core.Http;

/// <summary>
/// Checks a request body before any parser reads it: one well-formed JSON value whose strings and property names
/// are all valid Unicode. System.Text.Json parses <c>"\ud800"</c> and invalid UTF-8 without complaint and throws only
/// when the string is read, deep inside whichever parser reads it; checking once at the door turns that into a 400
/// naming the field, for every route at once.
/// </summary>
public static class JsonText
{
    public const int MaxDepth = 64;

    /// <summary>Null when <paramref name="utf8"/> is fine; otherwise the JSON path of the first problem and what is wrong.</summary>
    public static (string Path, string Message)? Check(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        var path = new JsonPathTracker();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (!TryRead(ref reader, out var name)) return (path.Current, "a property name is not valid Unicode (a lone surrogate or invalid UTF-8)");
                        path.Property(name!);
                        break;
                    case JsonTokenType.String:
                        path.Value();
                        if (!TryRead(ref reader, out _)) return (path.Current, "is not valid Unicode text (a lone surrogate such as \\ud800, or invalid UTF-8)");
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        path.Value();
                        path.Open(reader.TokenType == JsonTokenType.StartArray);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        path.Close();
                        break;
                    default:
                        path.Value();
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            return ("$", $"invalid JSON: {e.Message}");
        }
        return null;
    }

    /// <summary>A string's value, or false when it cannot be read as UTF-16 (a lone surrogate, invalid UTF-8).</summary>
    public static bool TryGetString(JsonElement element, out string? value)
    {
        value = null;
        if (element.ValueKind != JsonValueKind.String) return false;
        try
        {
            value = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryRead(ref Utf8JsonReader reader, out string? value)
    {
        try
        {
            value = reader.GetString();
            // Whatever the reader lets through, a string the daemon passes on must be well-formed UTF-16.
            if (value is not null && !IsWellFormed(value)) return false;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = null;
            return false;
        }
    }

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(s[i])) return false;
        }
        return true;
    }

    /// <summary>The path of the value being read, in the form config errors use: <c>egress[0].host</c>, <c>$</c> for the root.</summary>
    private sealed class JsonPathTracker
    {
        private readonly List<(bool Array, int Index, string? Property)> _frames = [];

        public string Current
        {
            get
            {
                var sb = new StringBuilder();
                foreach (var (array, index, property) in _frames)
                {
                    if (array) sb.Append('[').Append(Math.Max(index, 0)).Append(']');
                    else if (property is not null) sb.Append(sb.Length > 0 ? "." : "").Append(property);
                }
                return sb.Length == 0 ? "$" : sb.ToString();
            }
        }

        public void Open(bool array) => _frames.Add((array, -1, null));

        public void Close() => _frames.RemoveAt(_frames.Count - 1);

        public void Property(string name)
        {
            if (_frames.Count > 0) _frames[^1] = _frames[^1] with { Property = name };
        }

        /// <summary>A value starts: in an array, it is the next element.</summary>
        public void Value()
        {
            if (_frames.Count > 0 && _frames[^1].Array) _frames[^1] = _frames[^1] with { Index = _frames[^1].Index + 1 };
        }
    }
}
