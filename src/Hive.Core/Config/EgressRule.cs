namespace Hive.Core.Config;

/// <summary>Ask: hold the request and ask a person (docs/egress.md, "Asking a person").</summary>
public enum EgressAccess { Allow, Deny, Ask }

public sealed record EgressRule
{
    public required EgressAccess Access { get; init; }

    /// <summary>
    /// Normalised host pattern: <c>*</c>, <c>*.suffix</c>, a lower-case punycode DNS name without trailing dot,
    /// a canonical IP literal (IPv6 without brackets) or a CIDR with host bits cleared. See <see cref="HostPattern"/>.
    /// </summary>
    public required string Host { get; init; }

    /// <summary>Destination ports; null = any.</summary>
    public IReadOnlyList<int>? Ports { get; init; }

    /// <summary>Upper-case HTTP methods; null = any.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>URL path globs; null = any.</summary>
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>Headers and query parameters set on allowed requests; null when the rule has none.</summary>
    public EgressOverride? Override { get; init; }

    public bool Equals(EgressRule? other) =>
        other is not null
        && Access == other.Access
        && Host == other.Host
        && Equality.Lists(Ports, other.Ports)
        && Equality.Lists(Methods, other.Methods)
        && Equality.Lists(Paths, other.Paths)
        && Override == other.Override;

    public override int GetHashCode() => HashCode.Combine(Access, Host, Ports?.Count, Methods?.Count, Paths?.Count, Override);
}

/// <summary>Write-only values: never log, event or return them unredacted (see <see cref="ConfigJson"/>).</summary>
public sealed record EgressOverride
{
    public required IReadOnlyDictionary<string, string> Headers { get; init; }
    public required IReadOnlyDictionary<string, string> Query { get; init; }

    public bool Equals(EgressOverride? other) =>
        other is not null && Equality.Maps(Headers, other.Headers) && Equality.Maps(Query, other.Query);

    public override int GetHashCode() => HashCode.Combine(Headers.Count, Query.Count);

    // The record's generated ToString would print the values.
    public override string ToString() =>
        $"EgressOverride {{ Headers = [{string.Join(", ", Headers.Keys)}], Query = [{string.Join(", ", Query.Keys)}] }}";
}
