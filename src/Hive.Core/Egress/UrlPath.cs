using System.Buffers;

namespace Hive.Core.Egress;

/// <summary>
/// Normalises HTTP request targets once, so that rules match exactly the path that is forwarded.
/// </summary>
/// <remarks>
/// Steps, in one pass over each segment (RFC 3986 §6.2.2 order: percent-encoding normalisation, then path segments):
/// <list type="bullet">
/// <item>The query (after the first <c>?</c>) is cut off and returned unchanged in <see cref="UrlTarget.Query"/>.</item>
/// <item>Percent-encoded unreserved characters (<c>A-Z a-z 0-9 - . _ ~</c>) are decoded; every other
/// percent-encoding is kept with its hex in upper case (<c>%2f</c> → <c>%2F</c>). Nothing is decoded twice:
/// <c>%252e</c> stays <c>%252e</c>.</item>
/// <item>Empty segments are collapsed: <c>//admin</c> → <c>/admin</c>, <c>/a//b</c> → <c>/a/b</c>; a trailing slash is kept.
/// Servers such as nginx merge slashes, so a deny on <c>/admin/**</c> must see <c>//admin</c> as <c>/admin</c>;
/// because the normalised path is what is forwarded, the upstream can no longer read it any other way.</item>
/// <item>Dot-segments are resolved once with remove_dot_segments (RFC 3986 §5.2.4), after the collapse, including
/// encoded ones (<c>%2e%2e</c> is <c>..</c> after the first step; it is flagged too). <c>..</c> never climbs above
/// the root.</item>
/// </list>
/// Ambiguous spellings are flagged (<see cref="UrlPathFlags.Rejected"/>), not repaired: encoded slash, backslash,
/// encoded dot-segment, <c>;</c> path parameters (raw or <c>%3B</c>), NUL, invalid percent-encoding or UTF-8, control or
/// non-ASCII characters. The policy denies a flagged request whenever a rule with paths is consulted.
/// </remarks>
public static class UrlPath
{
    private const int StackLimit = 512;

    /// <summary>
    /// Normalises an HTTP request target: origin-form (<c>/path?query</c>), absolute-form
    /// (<c>http://host:port/path?query</c>, whose authority is returned for the caller to check) or asterisk-form.
    /// Allocation-free when the target is already a normalised origin-form path without a query.
    /// </summary>
    public static UrlTarget Normalize(string rawTarget)
    {
        ArgumentNullException.ThrowIfNull(rawTarget);
        if (rawTarget.Length == 0) return new UrlTarget(rawTarget, null, UrlPathFlags.InvalidTarget);
        if (rawTarget == "*") return new UrlTarget("*", null, UrlPathFlags.AsteriskForm);
        if (rawTarget[0] == '/') return Origin(rawTarget, 0, UrlPathFlags.None, null, null, null);
        return Absolute(rawTarget);
    }

    private static UrlTarget Origin(string target, int pathStart, UrlPathFlags flags, string? scheme, string? host, int? port)
    {
        var queryMark = target.IndexOf('?', pathStart);
        var pathEnd = queryMark < 0 ? target.Length : queryMark;
        var path = NormalizePath(target, pathStart, pathEnd, ref flags);
        var query = queryMark < 0 ? null : target[(queryMark + 1)..];
        return new UrlTarget(path, query, flags, scheme, host, port);
    }

    private static UrlTarget Absolute(string target)
    {
        var invalid = new UrlTarget(target, null, UrlPathFlags.InvalidTarget);
        var sep = target.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0) return invalid;
        var schemeText = target.AsSpan(0, sep);
        string scheme;
        if (schemeText.Equals("http", StringComparison.OrdinalIgnoreCase)) scheme = "http";
        else if (schemeText.Equals("https", StringComparison.OrdinalIgnoreCase)) scheme = "https";
        else return invalid;

        var authorityStart = sep + 3;
        var authorityEnd = target.AsSpan(authorityStart).IndexOfAny('/', '?', '#');
        authorityEnd = authorityEnd < 0 ? target.Length : authorityStart + authorityEnd;
        var authority = target[authorityStart..authorityEnd];
        var flags = UrlPathFlags.AbsoluteForm;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            flags |= UrlPathFlags.UserInfo;
            authority = authority[(at + 1)..];
        }
        if (!EgressHost.TrySplitHostPort(authority, out var host, out var port)) return invalid;
        return Origin(target, authorityEnd, flags, scheme, host, port);
    }

    private static string NormalizePath(string source, int start, int end, ref UrlPathFlags flags)
    {
        var span = source.AsSpan(start, end - start);
        char[]? rented = null;
        var buf = span.Length + 1 <= StackLimit
            ? stackalloc char[StackLimit]
            : (rented = ArrayPool<char>.Shared.Rent(span.Length + 1));
        try
        {
            var len = 0;
            var i = span.Length > 0 && span[0] == '/' ? 1 : 0;
            if (span.Length > 0 && span[0] != '/') flags |= UrlPathFlags.InvalidTarget; // absolute-form with '#' after the authority
            var utf8 = new Utf8Validator();
            while (true)
            {
                var segEnd = span[i..].IndexOf('/');
                segEnd = segEnd < 0 ? span.Length : i + segEnd;
                var last = segEnd == span.Length;
                var mark = len;
                buf[len++] = '/';
                var encodedDot = false;

                for (var k = i; k < segEnd; k++)
                {
                    var c = span[k];
                    if (c == '%' && k + 2 < segEnd && char.IsAsciiHexDigit(span[k + 1]) && char.IsAsciiHexDigit(span[k + 2]))
                    {
                        var b = (byte)(HexValue(span[k + 1]) << 4 | HexValue(span[k + 2]));
                        k += 2;
                        if (b >= 0x80)
                        {
                            if (!utf8.Feed(b)) flags |= UrlPathFlags.InvalidPercentEncoding;
                            len = WriteEncoded(buf, len, b);
                            continue;
                        }
                        if (!utf8.End()) flags |= UrlPathFlags.InvalidPercentEncoding;
                        if (IsUnreserved(b))
                        {
                            buf[len++] = (char)b;
                            if (b == '.') encodedDot = true;
                            continue;
                        }
                        if (b == '/') flags |= UrlPathFlags.EncodedSlash;
                        else if (b == '\\') flags |= UrlPathFlags.Backslash;
                        else if (b == 0) flags |= UrlPathFlags.Nul;
                        else if (b == ';') flags |= UrlPathFlags.PathParameters;
                        len = WriteEncoded(buf, len, b);
                        continue;
                    }
                    if (!utf8.End()) flags |= UrlPathFlags.InvalidPercentEncoding;
                    if (c == '%') flags |= UrlPathFlags.InvalidPercentEncoding;
                    else if (c == '\\') flags |= UrlPathFlags.Backslash;
                    else if (c == '\0') flags |= UrlPathFlags.Nul;
                    else if (c <= ' ' || c >= '\x7f' || c == '#') flags |= UrlPathFlags.InvalidCharacter;
                    buf[len++] = c;
                }
                if (!utf8.End()) flags |= UrlPathFlags.InvalidPercentEncoding;

                var segment = buf[(mark + 1)..len];
                if (segment is "." or "..")
                {
                    flags |= UrlPathFlags.DotSegments;
                    if (encodedDot) flags |= UrlPathFlags.EncodedDotSegment;
                    len = mark;
                    if (segment.Length == 2 && len > 0) len = buf[..len].LastIndexOf('/');
                    if (last) buf[len++] = '/';
                }
                else if (segment.Length == 0)
                {
                    if (!last)
                    {
                        len = mark;
                        flags |= UrlPathFlags.DuplicateSlashes;
                    }
                }
                else
                {
                    var semicolon = segment.IndexOf(';');
                    if (semicolon >= 0)
                    {
                        flags |= UrlPathFlags.PathParameters;
                        if (segment[..semicolon] is "." or "..") flags |= UrlPathFlags.DotSegmentWithParameters;
                    }
                }

                if (last) break;
                i = segEnd + 1;
            }
            if (len == 0) buf[len++] = '/';
            var result = buf[..len];
            return start == 0 && end == source.Length && result.SequenceEqual(span) ? source : new string(result);
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static int WriteEncoded(Span<char> buf, int len, byte b)
    {
        buf[len++] = '%';
        buf[len++] = "0123456789ABCDEF"[b >> 4];
        buf[len++] = "0123456789ABCDEF"[b & 0xf];
        return len;
    }

    private static int HexValue(char c) => char.IsAsciiDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".</summary>
    internal static bool IsUnreserved(int b) => char.IsAsciiLetterOrDigit((char)b) || b is '-' or '.' or '_' or '~';

    /// <summary>Checks that percent-encoded bytes of 0x80 and above form well-formed UTF-8 (RFC 3629 table).</summary>
    private struct Utf8Validator
    {
        private int _need;
        private byte _low, _high;

        /// <summary>Feeds a byte ≥ 0x80; false when it cannot continue or start a well-formed sequence.</summary>
        public bool Feed(byte b)
        {
            if (_need > 0)
            {
                if (b < _low || b > _high)
                {
                    _need = 0;
                    Feed(b); // it may still start the next sequence
                    return false;
                }
                _need--;
                _low = 0x80;
                _high = 0xbf;
                return true;
            }
            (_need, _low, _high) = b switch
            {
                >= 0xc2 and <= 0xdf => (1, (byte)0x80, (byte)0xbf),
                0xe0 => (2, (byte)0xa0, (byte)0xbf),
                0xed => (2, (byte)0x80, (byte)0x9f),
                >= 0xe1 and <= 0xef => (2, (byte)0x80, (byte)0xbf),
                0xf0 => (3, (byte)0x90, (byte)0xbf),
                >= 0xf1 and <= 0xf3 => (3, (byte)0x80, (byte)0xbf),
                0xf4 => (3, (byte)0x80, (byte)0x8f),
                _ => (0, (byte)0, (byte)0),
            };
            return _need > 0;
        }

        /// <summary>Something other than a continuation byte follows; false when a sequence was left unfinished.</summary>
        public bool End()
        {
            if (_need == 0) return true;
            _need = 0;
            return false;
        }
    }
}
