namespace Hive.Core.Secrets;

/// <summary>Masked forms of secret values for listings.</summary>
public static class SecretRedaction
{
    public const int MinLengthForHint = 20;
    public const string Hidden = "****";

    /// <summary>
    /// <c>abcd****wxyz</c> (first and last 4 characters) when <paramref name="value"/> has at least
    /// <see cref="MinLengthForHint"/> characters, so at most 8 of them (40%) show; <c>****</c> otherwise. Never the middle.
    /// </summary>
    public static string Mask(string? value)
    {
        if (value is null || value.Length < MinLengthForHint) return Hidden;
        // Don't split a surrogate pair at either cut.
        var head = char.IsHighSurrogate(value[3]) ? 3 : 4;
        var tail = char.IsLowSurrogate(value[^4]) ? 3 : 4;
        return string.Concat(value.AsSpan(0, head), Hidden, value.AsSpan(value.Length - tail));
    }
}
