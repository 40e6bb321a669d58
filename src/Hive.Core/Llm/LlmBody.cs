namespace Hive.Core.Llm;

/// <summary>
/// One side of a model call as the Inspector shows it: the body as text (decoded, secrets and override values redacted,
/// cut to <see cref="LlmBodyRedaction.MaxStoredBytes"/>), its content type, how many bytes it had on the wire, and whether
/// <see cref="Text"/> is only its beginning.
/// </summary>
public sealed record LlmBody(string Text, string? ContentType, long Bytes, bool Truncated)
{
    public static LlmBody Empty { get; } = new("", null, 0, false);
}

/// <summary>The request and the response of one model call, keyed in the store by the call's <c>requestId</c>.</summary>
public sealed record LlmBodies(LlmBody Request, LlmBody Response);
