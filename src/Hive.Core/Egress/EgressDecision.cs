namespace Hive.Core.Egress;

public enum EgressVerdict
{
    Denied,
    Allowed,
    /// <summary>
    /// Only for <see cref="EgressLayer.Tls"/> and <see cref="EgressPolicy.DecideStream"/>: a rule with methods or paths
    /// applies to this host and port, so the outcome depends on each request. Parse the flow as HTTP (terminating TLS
    /// first) and ask again per request; never tunnel it raw.
    /// </summary>
    NeedsHttp,
    /// <summary>
    /// An <c>ask</c> rule matched, or none did and the sandbox's <c>egressDefault</c> is <c>ask</c>: hold the request
    /// (or flow) and let a person decide. Nothing goes upstream until someone allows it.
    /// </summary>
    Ask,
}

/// <summary>The outcome of <see cref="EgressPolicy.Decide"/>.</summary>
/// <param name="Verdict">Allowed, denied, or (TLS only) needs HTTP.</param>
/// <param name="RuleIndex">The index of the deciding rule in the config's egress list; null when no rule decided
/// (default deny, invalid host, needs HTTP).</param>
/// <param name="Reason">A fixed, human-readable reason from <see cref="EgressReasons"/> (no request data, no secrets).</param>
public readonly record struct EgressDecision(EgressVerdict Verdict, int? RuleIndex, string Reason)
{
    public bool IsAllowed => Verdict == EgressVerdict.Allowed;
    public bool IsDenied => Verdict == EgressVerdict.Denied;
    public bool NeedsHttp => Verdict == EgressVerdict.NeedsHttp;
    public bool IsAsk => Verdict == EgressVerdict.Ask;

    /// <summary>The <c>access</c> field of an <c>egress.request</c> event.</summary>
    public string Access => Verdict switch
    {
        EgressVerdict.Allowed => "allowed",
        EgressVerdict.Denied => "denied",
        _ => "pending",
    };
}

/// <summary>The reasons <see cref="EgressPolicy"/> gives. Constants, so deciding never builds a string.</summary>
public static class EgressReasons
{
    public const string AllowedByRule = "allowed by rule";
    public const string DeniedByRule = "denied by rule";
    public const string NoRules = "no egress rules: all outbound traffic is denied";
    public const string NoMatch = "no rule matches (default deny)";
    public const string AskByRule = "an ask rule matches: waiting for a person's decision";
    public const string AskByDefault = "no rule matches and egressDefault is ask: waiting for a person's decision";
    public const string InvalidHost = "invalid destination host";
    public const string AmbiguousPath =
        "a rule with paths applies and the path is ambiguous (encoded slash, backslash, encoded dot-segment, ;parameters, NUL, invalid encoding or characters)";
    public const string NeedsHttp = "a rule with methods or paths applies: the decision needs the HTTP request";
    public const string NotHttp =
        "a rule with methods or paths applies to this host and port: only HTTP requests are decided there, and the connection is not HTTP";
    public const string ServerNameMismatch = "the TLS server name does not match the destination";
    public const string TooManyConnections = "too many connections from this sandbox";
    public const string TcpNeedsHostRule =
        "only rules with methods or paths match this host and port, and the connection is not HTTP";
}
