namespace Hive.Core.Egress;

/// <summary>A request target after <see cref="UrlPath.Normalize"/>.</summary>
/// <param name="Path">
/// The normalised path: starts with <c>/</c> (except for <c>*</c> and an invalid target), no dot-segments, no empty
/// segments, unreserved characters decoded, other percent-encodings kept with upper-case hex. This is the path to
/// match and to forward.
/// </param>
/// <param name="Query">The raw query after <c>?</c>, unchanged; null when the target has no <c>?</c>.</param>
/// <param name="Flags">What was found; see <see cref="UrlPathFlags.Rejected"/>.</param>
/// <param name="Scheme">Absolute-form only: <c>http</c> or <c>https</c>, lower case.</param>
/// <param name="AuthorityHost">
/// Absolute-form only: the host of the authority as written (brackets kept for IPv6). Canonicalise it with
/// <see cref="EgressHost.TryCanonicalize"/> and compare it with the connection's canonical host; forward to the
/// canonical host, never to this one.
/// </param>
/// <param name="AuthorityPort">Absolute-form only: the explicit port, if any.</param>
public readonly record struct UrlTarget(
    string Path,
    string? Query,
    UrlPathFlags Flags,
    string? Scheme = null,
    string? AuthorityHost = null,
    int? AuthorityPort = null)
{
    /// <summary>Whether any flag denies the request when a rule with paths is consulted.</summary>
    public bool IsRejected => (Flags & UrlPathFlags.Rejected) != 0;

    /// <summary>The origin-form target to forward: <see cref="Path"/> and the query.</summary>
    public string PathAndQuery => Query is null ? Path : Path + "?" + Query;
}
