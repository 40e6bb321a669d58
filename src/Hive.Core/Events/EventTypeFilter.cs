namespace Hive.Core.Events;

/// <summary>
/// A filter on event types such as <c>egress.*,fs.*</c>: comma-separated patterns where <c>*</c> matches any run of
/// characters (dots included). Matching ignores ASCII case. No patterns, or a pattern of only <c>*</c>, matches everything.
/// </summary>
public sealed class EventTypeFilter
{
    private readonly string[] patterns;

    private EventTypeFilter(string[] patterns) => this.patterns = patterns;

    public static EventTypeFilter All { get; } = new([]);

    public bool MatchesAll => patterns.Length == 0;

    public IReadOnlyList<string> Patterns => patterns;

    public static EventTypeFilter Parse(string? commaSeparated)
    {
        if (string.IsNullOrWhiteSpace(commaSeparated)) return All;
        var parts = commaSeparated.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p.All(c => c == '*'))) return All;
        return new EventTypeFilter(parts.Distinct(StringComparer.OrdinalIgnoreCase).ToArray());
    }

    public bool Matches(string type)
    {
        if (patterns.Length == 0) return true;
        foreach (var pattern in patterns)
            if (Glob(pattern, type)) return true;
        return false;
    }

    public override string ToString() => MatchesAll ? "*" : string.Join(",", patterns);

    // Iterative wildcard match: on a mismatch, retry from the last * with it consuming one more character.
    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*') { star = p++; resume = t; }
            else if (p < pattern.Length && char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])) { p++; t++; }
            else if (star >= 0) { p = star + 1; t = ++resume; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
