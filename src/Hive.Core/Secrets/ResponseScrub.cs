using System.Buffers;

namespace Hive.Core.Secrets;

/// <summary>
/// Replaces real secret values by their stand-ins in response header and trailer values (bodies go through
/// <see cref="StreamReplacer"/>). Leftmost-longest, as in bodies. Allocation-free when a value holds no real form.
/// </summary>
public sealed class ResponseScrub
{
    private readonly ReplacementPatterns _patterns;
    private readonly SearchValues<string>? _search;

    public ResponseScrub(ReplacementPatterns patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        _patterns = patterns;
        _search = patterns.IsEmpty ? null : SearchValues.Create([.. patterns.Pairs.Select(p => p.Key)], StringComparison.Ordinal);
    }

    /// <summary><paramref name="value"/> with every real form replaced; the same instance when there is none.</summary>
    public string Scrub(string value)
    {
        if (_search is null || string.IsNullOrEmpty(value)) return value;
        var at = value.AsSpan().IndexOfAny(_search);
        if (at < 0) return value;
        var builder = new System.Text.StringBuilder(value.Length + 16);
        var last = 0;
        while (at >= 0)
        {
            // Several forms may start here: the longest (Pairs is sorted longest first).
            var pair = _patterns.Pairs.First(p => value.AsSpan(at).StartsWith(p.Key, StringComparison.Ordinal));
            builder.Append(value, last, at - last).Append(pair.Value);
            last = at + pair.Key.Length;
            var next = value.AsSpan(last).IndexOfAny(_search);
            at = next < 0 ? -1 : last + next;
        }
        return builder.Append(value, last, value.Length - last).ToString();
    }

    public override string ToString() => $"response scrub over {_patterns}";
}
