using Hive.Core.Config;

namespace Hive.Core.Egress;

/// <summary>
/// A sandbox's egress rules compiled for the proxy and DNS hot paths (docs/egress.md). Immutable and thread-safe:
/// compile once when a config is applied, swap the reference atomically, and call <see cref="Decide"/> and
/// <see cref="CouldAllowName"/> from any thread without allocating.
/// </summary>
/// <remarks>
/// <para><b>Order.</b> Rules are tried in order; the first rule that matches decides; no match denies, or asks when the
/// config's <c>egressDefault</c> is <c>ask</c>. An <c>ask</c> rule decides <see cref="EgressVerdict.Ask"/>: for names,
/// DNS and the TLS walk it counts like an allow (something it matches may pass once a person agrees).</para>
/// <para><b>Hosts.</b> <c>*</c> matches every destination, names and addresses. <c>*.example.com</c> matches
/// <c>example.com</c> and every name below it, never <c>evilexample.com</c> or <c>example.com.evil.test</c>. An exact
/// name matches that name. Names compare case-insensitively without a trailing dot, IDNs as punycode (requests are
/// canonicalised by <see cref="EgressRequest"/>). A name rule never matches an IP literal, however it is spelled.</para>
/// <para><b>Addresses.</b> An IP or CIDR rule matches a destination that is an IP literal (the address dialled, or an
/// IP in the Host/SNI), IPv4-mapped IPv6 matching IPv4 rules; IPv4 and IPv6 rules never match the other family
/// otherwise. For a destination that is a <i>name</i>, an IP/CIDR rule can only deny: when the request carries the
/// address the proxy resolved (<see cref="EgressRequest.Ip"/>), deny rules on that address apply — so
/// <c>deny 10.0.0.0/8</c> then <c>allow *</c> keeps names that resolve into 10/8 out — but an allow rule on an
/// address never allows a name, consistently with DNS (<see cref="CouldAllowName"/>).</para>
/// <para><b>Ports, methods, paths.</b> Omitted means any. Methods compare case-insensitively. Paths are
/// <see cref="PathGlob"/>s on the normalised path. A rule with methods or paths is decided only at
/// <see cref="EgressLayer.Http"/>. When such a rule is consulted — host, port and method match, so the path is all
/// that is left — and the path is missing or flagged (<see cref="UrlPathFlags.Rejected"/>), the request is denied by
/// that rule's index with <see cref="EgressReasons.AmbiguousPath"/>.</para>
/// <para><b>TLS.</b> Before interception (<see cref="EgressLayer.Tls"/>) rules with methods/paths are not decided:
/// walking the rules that match host and port, an allow with methods/paths means some request could be allowed, a
/// deny with methods/paths that some request could be denied. The first host/port-only rule then gives Allowed (or
/// <see cref="EgressVerdict.NeedsHttp"/> if an earlier deny with methods/paths could still deny a request — a deny
/// with paths does not block a TLS connection before its requests are seen), or Denied (or NeedsHttp if an earlier
/// allow could still allow a request). Without such a rule: NeedsHttp if some allow could still allow, else
/// Denied.</para>
/// <para><b>Raw TCP.</b> At <see cref="EgressLayer.Tcp"/> rules with methods or paths never match, allow or deny.
/// The proxy does not use that layer to decide whether a flow may be tunnelled: it asks <see cref="DecideStream"/>.</para>
/// </remarks>
public sealed class EgressPolicy
{
    private readonly CompiledEgressRule[] _rules;
    private readonly bool _askByDefault;

    private EgressPolicy(IReadOnlyList<EgressRule> rules, bool askByDefault = false)
    {
        Rules = rules;
        _askByDefault = askByDefault;
        _rules = new CompiledEgressRule[rules.Count];
        for (var i = 0; i < rules.Count; i++) _rules[i] = new CompiledEgressRule(rules[i]);
    }

    /// <summary>No rules: everything is denied, DNS included.</summary>
    public static EgressPolicy DenyAll { get; } = new([]);

    /// <summary>Compiles an ordered rule list (normalised by the config parser).</summary>
    public static EgressPolicy Compile(IReadOnlyList<EgressRule> rules, EgressDefault fallback = EgressDefault.Deny) =>
        rules.Count == 0 && fallback == EgressDefault.Deny ? DenyAll : new EgressPolicy(rules, fallback == EgressDefault.Ask);

    public static EgressPolicy Compile(SandboxConfig config) => Compile(config.Egress, config.EgressDefault);

    /// <summary>Whether a request no rule matches is held for a person (<c>egressDefault: ask</c>) rather than denied.</summary>
    public bool AskByDefault => _askByDefault;

    /// <summary>The rules this policy was compiled from, in order (indexes match <see cref="EgressDecision.RuleIndex"/>).</summary>
    public IReadOnlyList<EgressRule> Rules { get; }

    /// <summary>Whether some deny rule is an IP or CIDR: only then is it worth resolving a name before deciding.</summary>
    public bool HasAddressDenyRules
    {
        get
        {
            foreach (var rule in _rules) if (!rule.Allow && rule.IsAddressRule) return true;
            return false;
        }
    }

    /// <summary>The header and query override of rule <paramref name="ruleIndex"/>; null when it has none.</summary>
    public OverrideApplier? GetOverride(int ruleIndex) => _rules[ruleIndex].Override;

    /// <summary>Decides one flow or request. Allocation-free.</summary>
    public EgressDecision Decide(in EgressRequest request) => Decide(request, streamLayer: false);

    private EgressDecision Decide(in EgressRequest request, bool streamLayer)
    {
        if (request.HostKind == EgressHostKind.Invalid)
            return new EgressDecision(EgressVerdict.Denied, null, EgressReasons.InvalidHost);
        if (_rules.Length == 0 && !_askByDefault)
            return new EgressDecision(EgressVerdict.Denied, null, EgressReasons.NoRules);

        var isName = request.HostKind == EgressHostKind.Name;
        var hasAddress = request.TryGetAddress(out var address);
        var layer = streamLayer ? EgressLayer.Tls : request.Layer;
        var couldAllow = false;
        var couldDeny = false;
        var httpOnlyMatched = false;

        for (var i = 0; i < _rules.Length; i++)
        {
            var rule = _rules[i];
            if (rule.IsAddressRule)
            {
                if (!hasAddress || (isName && rule.MayPass) || !rule.MatchesAddress(address)) continue;
            }
            else if (rule.Kind != CompiledEgressRule.HostKind.Any && (!isName || !rule.MatchesName(request.Host))) continue;
            if (!rule.MatchesPort(request.Port)) continue;

            if (rule.NeedsHttp)
            {
                switch (layer)
                {
                    case EgressLayer.Tcp:
                        httpOnlyMatched = true;
                        continue;
                    case EgressLayer.Tls:
                        if (rule.MayPass) couldAllow = true;
                        else couldDeny = true;
                        continue;
                }
                if (!rule.MatchesMethod(request.Method)) continue;
                if (rule.Paths is not null)
                {
                    if (request.Path is null || (request.PathFlags & UrlPathFlags.Rejected) != 0)
                        return new EgressDecision(EgressVerdict.Denied, i, EgressReasons.AmbiguousPath);
                    if (!rule.MatchesPath(request.Path)) continue;
                }
                return Final(rule, i);
            }

            if (layer == EgressLayer.Tls && (rule.Allow ? couldDeny : rule.Ask ? couldDeny || couldAllow : couldAllow))
                return new EgressDecision(EgressVerdict.NeedsHttp, null, EgressReasons.NeedsHttp);
            return Final(rule, i);
        }

        if (couldAllow || (_askByDefault && couldDeny)) return new EgressDecision(EgressVerdict.NeedsHttp, null, EgressReasons.NeedsHttp);
        if (_askByDefault) return new EgressDecision(EgressVerdict.Ask, null, EgressReasons.AskByDefault);
        return new EgressDecision(EgressVerdict.Denied, null, httpOnlyMatched ? EgressReasons.TcpNeedsHostRule : EgressReasons.NoMatch);
    }

    /// <summary>
    /// Decides what a flow (TCP, or TLS before interception) may become before its bytes are understood. Allowed: it may
    /// be tunnelled raw — a rule without methods/paths allows the destination and no rule with methods/paths before it
    /// could apply. NeedsHttp: some rule with methods/paths could apply, so the flow is HTTP (parsed, every request
    /// decided) or nothing, whatever its first bytes look like. Denied: no request to this destination could be allowed.
    /// Allocation-free.
    /// </summary>
    public EgressDecision DecideStream(in EgressRequest request)
    {
        if (request.Layer == EgressLayer.Http) throw new ArgumentException("a stream decision is for a flow, not an HTTP request", nameof(request));
        return Decide(request, streamLayer: true);
    }

    private static EgressDecision Final(CompiledEgressRule rule, int index) =>
        rule.Allow ? new EgressDecision(EgressVerdict.Allowed, index, EgressReasons.AllowedByRule)
        : rule.Ask ? new EgressDecision(EgressVerdict.Ask, index, EgressReasons.AskByRule)
        : new EgressDecision(EgressVerdict.Denied, index, EgressReasons.DeniedByRule);

    /// <summary>
    /// Whether some allow or ask rule (or <c>egressDefault: ask</c>) could match a connection to <paramref name="name"/> (a DNS question name, any case, one
    /// trailing dot allowed): the DNS server answers a synthetic address when true and NXDOMAIN when false.
    /// Allocation-free for ASCII names.
    /// </summary>
    /// <remarks>
    /// Only <c>*</c> and name rules can allow a name: IP/CIDR rules allow connections dialled to an address, never a
    /// name (the agent can dial the address directly). Ports, methods and paths are ignored (some connection could
    /// still be allowed), except that a deny rule matching the name with no ports, methods or paths shadows every
    /// rule after it (<c>deny evil.com</c>, <c>allow *</c> → NXDOMAIN for evil.com). IP/CIDR deny rules never shadow
    /// a name here: the address is not known until the proxy resolves it. Names that are IP literals in any spelling
    /// (<c>127.0.0.1</c>, <c>0x7f000001</c>) or not valid host names are never allowed.
    /// </remarks>
    public bool CouldAllowName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ReadOnlySpan<char> span;
        if (EgressHost.IsAsciiName(name))
        {
            span = name.AsSpan();
            if (span[^1] == '.') span = span[..^1];
        }
        else
        {
            // An ASCII name that fails the check above is an IP literal or invalid, neither of which gets an answer.
            // Only a non-ASCII name (rare: DNS questions are punycode on the wire) needs the full canonicalisation.
            if (System.Text.Ascii.IsValid(name)) return false;
            if (!EgressHost.TryCanonicalize(name, out var canonical, out var address) || address is not null) return false;
            span = canonical;
        }

        foreach (var rule in _rules)
        {
            if (rule.IsAddressRule || !rule.MatchesName(span)) continue;
            if (rule.MayPass) return true;
            if (rule.Ports is null && !rule.NeedsHttp) return false;
        }
        return _askByDefault;
    }
}
