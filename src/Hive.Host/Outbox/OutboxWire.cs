using System.Globalization;
using System.Text.Json;
using Hive.Core.Llm;

namespace Hive.Host.Outbox;

/// <summary>
/// The push body, <c>{ host, stream, events: [ { seq, sandbox, type, time, data, llm? } ] }</c>, and the bodies of a
/// model call as its <c>llm</c> object (<c>{ request: { text, contentType, bytes, truncated }, response: … }</c>).
/// Data and bodies go out as the JSON text they were stored as.
/// </summary>
public static class OutboxWire
{
    public static byte[] Batch(string host, string stream, IReadOnlyList<OutboxEvent> events)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("host", host);
            w.WriteString("stream", stream);
            w.WriteStartArray("events");
            foreach (var e in events)
            {
                w.WriteStartObject();
                w.WriteNumber("seq", e.Seq);
                w.WriteString("sandbox", e.Sandbox);
                w.WriteString("type", e.Type);
                w.WriteString("time", e.Time.ToString("O", CultureInfo.InvariantCulture));
                w.WritePropertyName("data");
                w.WriteRawValue(e.Data, skipInputValidation: true);
                if (e.Llm is not null)
                {
                    w.WritePropertyName("llm");
                    w.WriteRawValue(e.Llm, skipInputValidation: true);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static string Bodies(LlmBodies bodies)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            Body(w, "request", bodies.Request);
            Body(w, "response", bodies.Response);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void Body(Utf8JsonWriter w, string name, LlmBody body)
    {
        w.WriteStartObject(name);
        w.WriteString("text", body.Text);
        if (body.ContentType is null) w.WriteNull("contentType");
        else w.WriteString("contentType", body.ContentType);
        w.WriteNumber("bytes", body.Bytes);
        w.WriteBoolean("truncated", body.Truncated);
        w.WriteEndObject();
    }

    /// <summary>The <c>acked</c> seq of the controller's answer.</summary>
    public static long Acked(ReadOnlySpan<byte> answer)
    {
        var reader = new Utf8JsonReader(answer);
        using var doc = JsonDocument.ParseValue(ref reader);
        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("acked", out var acked) && acked.TryGetInt64(out var seq))
            return seq;
        throw new JsonException("the controller's answer has no integer 'acked'");
    }
}
