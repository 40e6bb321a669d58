using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Hive.Core.Events;

/// <summary>
/// Writes one event's data object as JSON text for the hot paths (the proxy appends an egress.request /
/// egress.response pair per request, DNS one event per query): fields go straight through a
/// <see cref="Utf8JsonWriter"/> into a buffer kept per thread, and the only allocation is the finished string.
/// Escaping is System.Text.Json's default, so the text is exactly what <c>JsonObject.ToJsonString()</c> gives
/// for the same fields in the same order.
/// </summary>
/// <example><code>
/// var w = EventJson.Begin();
/// w.WriteNumber("status", 200);
/// string data = EventJson.End(w);   // {"status":200}
/// </code></example>
/// <remarks>
/// <see cref="Begin"/> and <see cref="End"/> must be called on the same thread with no <c>await</c> between them;
/// nothing else may write events on that thread in between (the writer is the thread's one instance).
/// </remarks>
public static class EventJson
{
    private const int KeptCapacity = 16 * 1024;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>The thread's writer, reset, with the data object opened.</summary>
    public static Utf8JsonWriter Begin()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer); // also recovers from a write that threw halfway through an earlier event
        writer.WriteStartObject();
        return writer;
    }

    /// <summary>Closes the data object and returns its text.</summary>
    public static string End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        var buffer = t_buffer!;
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > KeptCapacity) t_buffer = null; // a rare huge event does not pin its buffer to the thread
        return text;
    }

    /// <summary>A string field, or <c>null</c>.</summary>
    public static void StringOrNull(this Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }

    /// <summary>A number field, or <c>null</c>.</summary>
    public static void NumberOrNull(this Utf8JsonWriter writer, JsonEncodedText name, long? value)
    {
        if (value is { } v) writer.WriteNumber(name, v);
        else writer.WriteNull(name);
    }
}
