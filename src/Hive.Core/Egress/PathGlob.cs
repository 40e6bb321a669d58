using System.Buffers;
using System.Numerics;
using System.Text;

namespace Hive.Core.Egress;

/// <summary>
/// A compiled <c>paths</c> glob of an egress rule, matched against paths from <see cref="UrlPath.Normalize"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>*</c> matches any run of characters within one segment (not <c>/</c>), including none.</item>
/// <item><c>**</c> as a whole segment matches any number of segments, including none: <c>/v1/**</c> matches
/// <c>/v1</c>, <c>/v1/</c> and <c>/v1/a/b</c>; <c>/a/**/b</c> matches <c>/a/b</c> and <c>/a/x/y/b</c>;
/// <c>/**</c> matches every path.</item>
/// <item><c>**</c> inside a segment matches any run of characters including <c>/</c>: <c>/admin**</c> matches
/// <c>/admin</c>, <c>/admins</c> and <c>/admin/x</c>; <c>/v1/**.json</c> matches <c>/v1/a/b.json</c>. (Reading it
/// as <c>*</c> would let <c>/admin/x</c> slip past a deny written as <c>/admin**</c>.)</item>
/// <item>Everything else is literal and case-sensitive. The pattern gets the same percent-encoding normalisation as
/// request paths (unreserved characters decoded, other hex upper-cased) and its empty segments collapsed, so that
/// <c>/%7Euser</c> matches <c>/~user</c>. A trailing <c>/</c> is significant: <c>/a/*</c> does not match
/// <c>/a/b/</c>.</item>
/// </list>
/// Matching is allocation-free and linear in the path length times the pattern length (an NFA simulation, no
/// backtracking), so no path can make it slow.
/// </remarks>
public sealed class PathGlob
{
    private enum Kind : byte { Literal, Star, Any, Split }

    private readonly struct Op(Kind kind, char c = '\0', int target = 0)
    {
        public readonly Kind Kind = kind;
        public readonly char Char = c;
        public readonly int Target = target;
    }

    private enum Shape : byte { Exact, Subtree, General }

    private readonly Shape _shape;
    private readonly string _literal = "";       // Exact: the path; Subtree: the prefix before /**
    private readonly string _literalSlash = "";  // Subtree: prefix + "/"
    private readonly Op[] _ops = [];

    private PathGlob(string pattern, string normalized)
    {
        Pattern = pattern;
        Normalized = normalized;
        if (normalized.IndexOf('*') < 0)
        {
            _shape = Shape.Exact;
            _literal = normalized;
            return;
        }
        if (normalized.EndsWith("/**", StringComparison.Ordinal) && normalized.AsSpan(0, normalized.Length - 3).IndexOf('*') < 0)
        {
            _shape = Shape.Subtree;
            _literal = normalized[..^3];
            _literalSlash = _literal + "/";
            return;
        }
        _shape = Shape.General;
        _ops = CompileOps(normalized);
    }

    /// <summary>The pattern as written in the rule.</summary>
    public string Pattern { get; }

    /// <summary>The pattern after percent-encoding normalisation and slash collapsing.</summary>
    public string Normalized { get; }

    public static PathGlob Compile(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return new PathGlob(pattern, NormalizePattern(pattern));
    }

    public override string ToString() => Pattern;

    /// <summary>Whether <paramref name="path"/> (a normalised path) matches. Allocation-free.</summary>
    public bool IsMatch(ReadOnlySpan<char> path) => _shape switch
    {
        Shape.Exact => path.SequenceEqual(_literal),
        Shape.Subtree => path.SequenceEqual(_literal) || path.StartsWith(_literalSlash, StringComparison.Ordinal),
        _ => RunNfa(path),
    };

    private static string NormalizePattern(string pattern)
    {
        var sb = new StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '%' && i + 2 < pattern.Length && char.IsAsciiHexDigit(pattern[i + 1]) && char.IsAsciiHexDigit(pattern[i + 2]))
            {
                var b = Convert.ToByte(pattern.Substring(i + 1, 2), 16);
                if (UrlPath.IsUnreserved(b)) sb.Append((char)b);
                else sb.Append('%').Append(char.ToUpperInvariant(pattern[i + 1])).Append(char.ToUpperInvariant(pattern[i + 2]));
                i += 2;
                continue;
            }
            if (c == '/' && sb.Length > 0 && sb[^1] == '/') continue;
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static Op[] CompileOps(string p)
    {
        var ops = new List<Op>();
        var i = 0;
        while (i < p.Length)
        {
            var c = p[i];
            if (c == '/' && i + 1 < p.Length && p[i + 1] == '*')
            {
                var j = i + 1;
                while (j < p.Length && p[j] == '*') j++;
                if (j - i - 1 >= 2 && (j == p.Length || p[j] == '/'))
                {
                    // A whole "**" segment: ("/" anything)? — zero segments, or a slash and any characters.
                    var split = ops.Count;
                    ops.Add(default);
                    ops.Add(new Op(Kind.Literal, '/'));
                    ops.Add(new Op(Kind.Any));
                    ops[split] = new Op(Kind.Split, target: ops.Count);
                    i = j;
                    continue;
                }
            }
            if (c == '*')
            {
                var j = i;
                while (j < p.Length && p[j] == '*') j++;
                ops.Add(new Op(j - i >= 2 ? Kind.Any : Kind.Star));
                i = j;
                continue;
            }
            ops.Add(new Op(Kind.Literal, c));
            i++;
        }
        return [.. ops];
    }

    private bool RunNfa(ReadOnlySpan<char> path)
    {
        var states = _ops.Length + 1; // the last one accepts
        var words = (states + 63) >> 6;
        ulong[]? rented = null;
        var memory = words * 2 <= 64 ? stackalloc ulong[64] : (rented = ArrayPool<ulong>.Shared.Rent(words * 2));
        try
        {
            var current = memory[..words];
            var next = memory.Slice(words, words);
            current.Clear();
            Set(current, 0);
            Close(current);
            foreach (var ch in path)
            {
                next.Clear();
                var any = false;
                for (var w = 0; w < words; w++)
                {
                    var bits = current[w];
                    while (bits != 0)
                    {
                        var s = (w << 6) + BitOperations.TrailingZeroCount(bits);
                        bits &= bits - 1;
                        if (s == _ops.Length) continue;
                        var op = _ops[s];
                        switch (op.Kind)
                        {
                            case Kind.Literal when op.Char == ch: Set(next, s + 1); any = true; break;
                            case Kind.Star when ch != '/': Set(next, s); any = true; break;
                            case Kind.Any: Set(next, s); any = true; break;
                        }
                    }
                }
                if (!any) return false;
                Close(next);
                var swap = current;
                current = next;
                next = swap;
            }
            return IsSet(current, _ops.Length);
        }
        finally
        {
            if (rented is not null) ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    /// <summary>Epsilon closure. Every epsilon edge points forward, so one ascending pass is enough.</summary>
    private void Close(Span<ulong> set)
    {
        for (var s = 0; s < _ops.Length; s++)
        {
            if (!IsSet(set, s)) continue;
            var op = _ops[s];
            switch (op.Kind)
            {
                case Kind.Star or Kind.Any: Set(set, s + 1); break;
                case Kind.Split: Set(set, s + 1); Set(set, op.Target); break;
            }
        }
    }

    private static void Set(Span<ulong> set, int state) => set[state >> 6] |= 1UL << (state & 63);
    private static bool IsSet(Span<ulong> set, int state) => (set[state >> 6] & (1UL << (state & 63))) != 0;
}
