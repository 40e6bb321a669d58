using System.Text.Json;
using Hive.Core.Http;

namespace Hive.Core.Llm;

/// <summary>What a model response says about itself: the model that answered and the tokens it counted.</summary>
public sealed record LlmUsage(string? Model, long? InputTokens, long? OutputTokens)
{
    public static readonly LlmUsage Unknown = new(null, null, null);

    /// <summary>
    /// Reads a whole (decoded) response body: one JSON document, or a server-sent event stream whose
    /// events each carry a JSON document. Understands the shapes of the Anthropic Messages API, the
    /// OpenAI Chat Completions and Responses APIs (and the providers that copy them) and Gemini. Later
    /// events override earlier ones, field by field, as the streams report running totals.
    /// </summary>
    public static LlmUsage Read(ReadOnlySpan<byte> body, bool eventStream)
    {
        var usage = Unknown;
        if (!eventStream) return Merge(usage, body);
        var events = new SseDataReader();
        Action<ReadOnlyMemory<byte>> onEvent = data => usage = Merge(usage, data.Span);
        events.Feed(body, onEvent);
        events.Feed("\n\n"u8, onEvent); // the body is whole: a last event missing its closing blank line still counts
        return usage;
    }

    private static LlmUsage Merge(LlmUsage usage, ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || json[0] != (byte)'{') return usage; // "[DONE]" and the like
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            return Merge(usage, doc.RootElement);
        }
        catch (JsonException)
        {
            return usage;
        }
    }

    private static LlmUsage Merge(LlmUsage usage, JsonElement root)
    {
        // Anthropic streams wrap the message in message_start; the OpenAI Responses API in response.*.
        foreach (var wrapper in new[] { "message", "response" })
            if (root.TryGetProperty(wrapper, out var inner) && inner.ValueKind == JsonValueKind.Object)
                usage = Merge(usage, inner);
        var model = Text(root, "model") ?? Text(root, "modelVersion");
        long? input = null, output = null;
        if (Object(root, "usage") is { } u)
        {
            input = Number(u, "input_tokens") ?? Number(u, "prompt_tokens");
            output = Number(u, "output_tokens") ?? Number(u, "completion_tokens");
        }
        if (Object(root, "usageMetadata") is { } g)
        {
            input = Number(g, "promptTokenCount");
            output = Number(g, "candidatesTokenCount") is { } c ? c + (Number(g, "thoughtsTokenCount") ?? 0) : null;
        }
        return new LlmUsage(model ?? usage.Model, input ?? usage.InputTokens, output ?? usage.OutputTokens);
    }

    private static JsonElement? Object(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
}
