using System.Text;
using System.Text.Json;

namespace Hive.Daemon.Events;

/// <summary>
/// The one field by which an event names another: a top-level <c>requestId</c> (egress.response, llm.call, secret.*,
/// fs.response, exec.response: docs/events.md). Read and replaced in the text as written, so the rest of the data keeps
/// its order and spelling.
/// </summary>
public static class EventRefs
{
    private static readonly byte[] Field = "requestId"u8.ToArray();

    /// <summary>The data's top-level integer <c>requestId</c>; null when it has none.</summary>
    public static long? RequestId(string data) => Find(data, out _, out _, out var id) ? id : null;

    /// <summary>The data with its top-level <c>requestId</c> set to <paramref name="value"/> (null when unknown).</summary>
    public static string WithRequestId(string data, long? value)
    {
        if (!Find(data, out var bytes, out var at, out _)) return data;
        var (start, length) = at;
        var replacement = value is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "null";
        var prefix = Encoding.UTF8.GetString(bytes, 0, start);
        var suffix = Encoding.UTF8.GetString(bytes, start + length, bytes.Length - start - length);
        return string.Concat(prefix, replacement, suffix);
    }

    private static bool Find(string data, out byte[] bytes, out (int Start, int Length) at, out long id)
    {
        bytes = [];
        at = default;
        id = 0;
        if (!data.Contains("\"requestId\"", StringComparison.Ordinal)) return false;
        bytes = Encoding.UTF8.GetBytes(data);
        var reader = new Utf8JsonReader(bytes);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                var named = reader.ValueTextEquals(Field);
                if (!reader.Read()) return false;
                if (!named)
                {
                    reader.Skip();
                    continue;
                }
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out id)) return false;
                at = ((int)reader.TokenStartIndex, reader.ValueSpan.Length);
                return true;
            }
        }
        catch (JsonException)
        {
        }
        return false;
    }
}
