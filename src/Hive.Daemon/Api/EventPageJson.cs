using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Hive.Daemon.Store;

namespace Hive.Daemon.Api;

/// <summary>
/// A JSON page of events written as UTF-8 straight into a buffer: the same text as <c>EventBus.ToJson</c> per event
/// (common fields first, then the type's own), without a string per event, a string per page and its re-encoding.
/// </summary>
internal static class EventPageJson
{
    public static void Write(IBufferWriter<byte> w, IReadOnlyList<StoredEvent> events)
    {
        w.Write("["u8);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0) w.Write(","u8);
            WriteEvent(w, events[i]);
        }
        w.Write("]"u8);
    }

    private static void WriteEvent(IBufferWriter<byte> w, StoredEvent e)
    {
        w.Write("{\"id\":"u8);
        var digits = w.GetSpan(20);
        Utf8Formatter.TryFormat(e.Id, digits, out var n);
        w.Advance(n);
        w.Write(",\"ts\":"u8);
        WriteString(w, e.Ts.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture));
        w.Write(",\"sandbox\":"u8);
        WriteString(w, e.Sandbox);
        w.Write(",\"type\":"u8);
        WriteString(w, e.Type);
        var data = e.Data.AsSpan().Trim();
        if (data.Length <= 2)
        {
            w.Write("}"u8);
            return;
        }
        w.Write(","u8);
        var rest = data[1..]; // the data object's members and its closing brace, as stored
        var span = w.GetSpan(Encoding.UTF8.GetMaxByteCount(rest.Length));
        w.Advance(Encoding.UTF8.GetBytes(rest, span));
    }

    // Escaped by the same encoder as JsonSerializer.Serialize(string), so the text is byte for byte ToJson's.
    private static void WriteString(IBufferWriter<byte> w, string value)
    {
        w.Write("\""u8);
        w.Write(JsonEncodedText.Encode(value).EncodedUtf8Bytes);
        w.Write("\""u8);
    }
}
