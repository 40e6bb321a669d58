using System.Buffers;

namespace Hive.Core.Secrets;

/// <summary>
/// Finds any of a fixed set of stand-ins in text: ordinal, vectorised multi-string search
/// (<see cref="SearchValues{T}"/>), allocation-free when nothing matches. Immutable and thread-safe; build one per
/// set of bindings.
/// </summary>
public sealed class StandInMatcher
{
    private readonly string[] _standIns; // longest first
    private readonly int[] _ids;          // caller's index of each
    private readonly SearchValues<string>? _search;

    /// <param name="standIns">The stand-ins; the index of each is what <see cref="Find"/> reports. Empty ones are ignored.</param>
    public StandInMatcher(IReadOnlyList<string> standIns)
    {
        ArgumentNullException.ThrowIfNull(standIns);
        var order = Enumerable.Range(0, standIns.Count)
            .Where(i => !string.IsNullOrEmpty(standIns[i]))
            .OrderByDescending(i => standIns[i].Length).ThenBy(i => i)
            .ToArray();
        _standIns = [.. order.Select(i => standIns[i])];
        _ids = order;
        _search = _standIns.Length == 0 ? null : SearchValues.Create(_standIns.Distinct(StringComparer.Ordinal).ToArray(), StringComparison.Ordinal);
    }

    public int Count => _standIns.Length;

    /// <summary>Whether <paramref name="text"/> contains any stand-in.</summary>
    public bool ContainsAny(ReadOnlySpan<char> text) => _search is not null && text.IndexOfAny(_search) >= 0;

    /// <summary>
    /// The first stand-in in <paramref name="text"/> at or after <paramref name="start"/>: its position and the index
    /// given to the constructor (the longest one when several start there). False when there is none.
    /// </summary>
    public bool Find(ReadOnlySpan<char> text, int start, out int position, out int id, out int length)
    {
        position = id = length = -1;
        if (_search is null || start >= text.Length) return false;
        var at = text[start..].IndexOfAny(_search);
        if (at < 0) return false;
        position = start + at;
        var rest = text[position..];
        for (var i = 0; i < _standIns.Length; i++)
        {
            if (!rest.StartsWith(_standIns[i], StringComparison.Ordinal)) continue;
            id = _ids[i];
            length = _standIns[i].Length;
            return true;
        }
        return false; // unreachable: IndexOfAny found one of them
    }

    /// <summary>Replaces every stand-in in <paramref name="text"/> by <paramref name="replacement"/>(id); <paramref name="text"/> itself when none.</summary>
    public string Replace(string text, Func<int, string> replacement, Action<int>? onMatch = null)
    {
        if (!Find(text, 0, out var position, out var id, out var length)) return text;
        var builder = new System.Text.StringBuilder(text.Length + 64);
        var last = 0;
        do
        {
            builder.Append(text, last, position - last).Append(replacement(id));
            onMatch?.Invoke(id);
            last = position + length;
        } while (Find(text, last, out position, out id, out length));
        return builder.Append(text, last, text.Length - last).ToString();
    }

    public override string ToString() => $"{_standIns.Length} stand-ins";
}
