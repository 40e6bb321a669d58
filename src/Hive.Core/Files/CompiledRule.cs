using System.Text;
using Hive.Core.Config;

namespace Hive.Core.Files;

/// <summary>The segments of a path being matched: the UTF-8 path and (start, end) pairs, no copies.</summary>
internal readonly ref struct Segments(ReadOnlySpan<byte> path, ReadOnlySpan<int> bounds)
{
    private readonly ReadOnlySpan<byte> _path = path;
    private readonly ReadOnlySpan<int> _bounds = bounds;

    public int Count => _bounds.Length / 2;

    public ReadOnlySpan<byte> this[int index] => _path[_bounds[index * 2].._bounds[index * 2 + 1]];
}

/// <summary>How far a rule can reach below a directory.</summary>
internal enum Reach : byte
{
    /// <summary>The rule matches no strict descendant.</summary>
    None,
    /// <summary>The rule matches some strict descendants.</summary>
    Some,
    /// <summary>The rule matches every strict descendant.</summary>
    All,
}

internal enum SegmentKind : byte
{
    /// <summary><c>**</c>: any number of segments, including none.</summary>
    AnyDepth,
    /// <summary><c>*</c> alone: exactly one segment, any name.</summary>
    AnyName,
    /// <summary>A name without wildcards.</summary>
    Literal,
    /// <summary>A name with <c>*</c> and/or <c>?</c>.</summary>
    Glob,
}

internal readonly struct PatternSegment(SegmentKind kind, byte[] text)
{
    public SegmentKind Kind { get; } = kind;
    public byte[] Text { get; } = text;

    public bool Matches(ReadOnlySpan<byte> name) => Kind switch
    {
        SegmentKind.AnyName => true,
        SegmentKind.Literal => name.SequenceEqual(Text),
        SegmentKind.Glob => Glob.Matches(Text, name),
        _ => false,
    };
}

/// <summary>One rule, its pattern split into segments once.</summary>
internal sealed class CompiledRule
{
    private readonly PatternSegment[] _segments;

    private CompiledRule(PatternSegment[] segments, AclAccess access)
    {
        _segments = segments;
        Access = access;
    }

    public AclAccess Access { get; }

    /// <summary>
    /// Parses a pattern. Patterns are validated with the config (absolute, normalised, <c>**</c> only as a whole
    /// segment); here empty segments are skipped and <c>**</c> inside a name means the same as <c>*</c>, so an
    /// unvalidated pattern still compiles to something sensible instead of throwing.
    /// </summary>
    public static CompiledRule Parse(AclRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var parts = rule.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var segments = new List<PatternSegment>(parts.Length);
        foreach (var part in parts)
        {
            if (part == "**")
            {
                // Consecutive ** are one **.
                if (segments.Count > 0 && segments[^1].Kind == SegmentKind.AnyDepth) continue;
                segments.Add(new PatternSegment(SegmentKind.AnyDepth, []));
            }
            else if (part == "*") segments.Add(new PatternSegment(SegmentKind.AnyName, []));
            else if (part.AsSpan().IndexOfAny('*', '?') >= 0) segments.Add(new PatternSegment(SegmentKind.Glob, Encoding.UTF8.GetBytes(part)));
            else segments.Add(new PatternSegment(SegmentKind.Literal, Encoding.UTF8.GetBytes(part)));
        }
        return new CompiledRule(segments.ToArray(), rule.Access);
    }

    /// <summary>
    /// Whole-path match: <c>**</c> backtracks greedily (each other segment consumes exactly one path segment, so
    /// retrying only the last <c>**</c> is enough, as in the classic wildcard algorithm).
    /// </summary>
    public bool Matches(Segments path)
    {
        var p = _segments;
        int i = 0, j = 0, starI = -1, starJ = -1;
        var n = path.Count;
        while (j < n)
        {
            if (i < p.Length && p[i].Kind == SegmentKind.AnyDepth)
            {
                starI = i++;
                starJ = j;
                continue;
            }
            if (i < p.Length && p[i].Matches(path[j]))
            {
                i++;
                j++;
                continue;
            }
            if (starI < 0) return false;
            i = starI + 1;
            j = ++starJ;
        }
        while (i < p.Length && p[i].Kind == SegmentKind.AnyDepth) i++;
        return i == p.Length;
    }

    /// <summary>
    /// How this rule can match strict descendants of <paramref name="directory"/>: runs the pattern as an NFA over
    /// the directory's segments and looks at the pattern left over in each reachable state. Any leftover can be
    /// matched by some descendant (a name can be chosen for every segment pattern); a leftover made of <c>**</c>
    /// with at most one bare <c>*</c> matches every descendant.
    /// </summary>
    public Reach ReachBelow(Segments directory)
    {
        var m = _segments.Length;
        var words = (m + 1 + 63) / 64;
        Span<ulong> current = stackalloc ulong[words];
        Span<ulong> next = stackalloc ulong[words];
        Set(current, 0);
        Close(current);
        for (var j = 0; j < directory.Count; j++)
        {
            next.Clear();
            var segment = directory[j];
            var any = false;
            for (var i = 0; i < m; i++)
            {
                if (!Has(current, i)) continue;
                if (_segments[i].Kind == SegmentKind.AnyDepth) { Set(next, i); any = true; }
                else if (_segments[i].Matches(segment)) { Set(next, i + 1); any = true; }
            }
            if (!any) return Reach.None;
            Close(next);
            next.CopyTo(current);
        }

        var result = Reach.None;
        for (var i = 0; i < m; i++)
        {
            if (!Has(current, i)) continue;
            if (CoversEverything(i)) return Reach.All;
            result = Reach.Some;
        }
        return result;
    }

    private bool CoversEverything(int from)
    {
        var anyDepth = false;
        var anyNames = 0;
        for (var i = from; i < _segments.Length; i++)
        {
            switch (_segments[i].Kind)
            {
                case SegmentKind.AnyDepth: anyDepth = true; break;
                case SegmentKind.AnyName: anyNames++; break;
                default: return false;
            }
        }
        return anyDepth && anyNames <= 1;
    }

    private void Close(Span<ulong> states)
    {
        // ** can match nothing: a state on ** also stands on the segment after it.
        for (var i = 0; i < _segments.Length; i++)
            if (Has(states, i) && _segments[i].Kind == SegmentKind.AnyDepth) Set(states, i + 1);
    }

    private static bool Has(Span<ulong> set, int i) => (set[i >> 6] & (1UL << (i & 63))) != 0;

    private static void Set(Span<ulong> set, int i) => set[i >> 6] |= 1UL << (i & 63);
}

/// <summary>Glob matching within one segment: <c>*</c> any run of characters, <c>?</c> one character.</summary>
internal static class Glob
{
    public static bool Matches(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> name)
    {
        int p = 0, s = 0, starP = -1, starS = -1;
        while (s < name.Length)
        {
            if (p < pattern.Length)
            {
                var c = pattern[p];
                if (c == (byte)'*')
                {
                    starP = p++;
                    starS = s;
                    continue;
                }
                if (c == (byte)'?')
                {
                    p++;
                    s += CharLength(name, s);
                    continue;
                }
                if (c == name[s])
                {
                    p++;
                    s++;
                    continue;
                }
            }
            if (starP < 0) return false;
            p = starP + 1;
            starS += CharLength(name, starS);
            s = starS;
        }
        while (p < pattern.Length && pattern[p] == (byte)'*') p++;
        return p == pattern.Length;
    }

    /// <summary>Length of the UTF-8 sequence at <paramref name="at"/>; 1 for a byte that does not start a valid one.</summary>
    internal static int CharLength(ReadOnlySpan<byte> text, int at)
    {
        var b = text[at];
        int length;
        if (b < 0x80) return 1;
        if (b is >= 0xC2 and <= 0xDF) length = 2;
        else if (b is >= 0xE0 and <= 0xEF) length = 3;
        else if (b is >= 0xF0 and <= 0xF4) length = 4;
        else return 1;
        if (at + length > text.Length) return 1;
        for (var k = 1; k < length; k++)
            if ((text[at + k] & 0xC0) != 0x80) return 1;
        return length;
    }
}
