namespace Hive.Core.Egress;

/// <summary>What <see cref="UrlPath.Normalize"/> noticed in a request target.</summary>
[Flags]
public enum UrlPathFlags
{
    None = 0,

    // Rejected: a request with any of these is denied whenever a rule with paths is consulted (docs/egress.md), because
    // servers disagree on what they mean and a path rule could be bypassed.

    /// <summary><c>%2F</c> or <c>%2f</c>: some servers decode it into a separator, others do not.</summary>
    EncodedSlash = 1 << 0,
    /// <summary>A raw <c>\</c> or <c>%5C</c>: a separator on Windows servers and to WHATWG parsers.</summary>
    Backslash = 1 << 1,
    /// <summary>A dot-segment spelled with <c>%2E</c> (<c>%2e%2e</c>, <c>.%2e</c>, <c>%2e.</c>, <c>%2e</c>).</summary>
    EncodedDotSegment = 1 << 2,
    /// <summary>A raw NUL or <c>%00</c>.</summary>
    Nul = 1 << 3,
    /// <summary>
    /// <c>%</c> not followed by two hex digits, or percent-encoded bytes that are not valid UTF-8 (overlong forms such
    /// as <c>%C0%AE</c> or <c>%C0%AF</c>, lone continuation bytes, surrogates, truncated sequences).
    /// </summary>
    InvalidPercentEncoding = 1 << 4,
    /// <summary>A raw control character, space, non-ASCII character or <c>#</c> in the target.</summary>
    InvalidCharacter = 1 << 5,
    /// <summary>Not origin-form (<c>/...</c>), absolute-form (<c>http(s)://...</c>) or asterisk-form (<c>*</c>).</summary>
    InvalidTarget = 1 << 6,
    /// <summary>
    /// A segment that is a dot-segment once its <c>;parameters</c> are cut (<c>..;</c>, <c>.;x</c>): Tomcat and Jetty
    /// resolve it as <c>..</c>.
    /// </summary>
    DotSegmentWithParameters = 1 << 7,
    /// <summary>Userinfo (<c>user@</c>) in an absolute-form target.</summary>
    UserInfo = 1 << 8,
    /// <summary>
    /// A <c>;</c> or <c>%3B</c> in a path segment: servlet containers cut <c>;parameters</c> off each segment
    /// (<c>/admin;x/y</c> is <c>/admin/y</c> to Tomcat), others keep them.
    /// </summary>
    PathParameters = 1 << 9,

    // Informational: the normalised path already accounts for these.

    /// <summary><c>.</c> or <c>..</c> segments were resolved.</summary>
    DotSegments = 1 << 16,
    /// <summary>Empty segments (<c>//</c>) were collapsed into one <c>/</c>.</summary>
    DuplicateSlashes = 1 << 17,
    /// <summary>The target was absolute-form (<c>http://host/path</c>): see <see cref="UrlTarget.AuthorityHost"/>.</summary>
    AbsoluteForm = 1 << 18,
    /// <summary>The target was <c>*</c> (OPTIONS).</summary>
    AsteriskForm = 1 << 19,

    /// <summary>The flags that deny a request whenever a rule with paths is consulted.</summary>
    Rejected = EncodedSlash | Backslash | EncodedDotSegment | Nul | InvalidPercentEncoding | InvalidCharacter
        | InvalidTarget | DotSegmentWithParameters | UserInfo | PathParameters,
}
