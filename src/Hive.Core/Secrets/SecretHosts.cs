using System.Diagnostics.CodeAnalysis;
using Hive.Core.Config;
using Hive.Core.Egress;

namespace Hive.Core.Secrets;

/// <summary>
/// A secret's hosts, compiled for matching request hosts. Patterns are normalised by <see cref="HostPattern"/>:
/// an exact name or IP address, or <c>*.domain</c> (the domain and all its subdomains, as in egress rules).
/// <c>*</c> and CIDRs are refused: a secret goes to named hosts only.
/// </summary>
public sealed class SecretHosts
{
    private readonly string[] _exact;
    private readonly string[] _suffixes; // "domain" for *.domain
    private readonly string[] _dotSuffixes; // ".domain"

    private SecretHosts(IReadOnlyList<string> patterns)
    {
        Patterns = patterns;
        _exact = [.. patterns.Where(p => !p.StartsWith("*.", StringComparison.Ordinal))];
        _suffixes = [.. patterns.Where(p => p.StartsWith("*.", StringComparison.Ordinal)).Select(p => p[2..])];
        _dotSuffixes = [.. _suffixes.Select(s => "." + s)];
    }

    /// <summary>The normalised patterns, in the order given, without duplicates.</summary>
    public IReadOnlyList<string> Patterns { get; }

    /// <summary>Normalises one pattern; the error says what is wrong (it names no field: the caller does).</summary>
    public static bool TryNormalize(string pattern, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        normalized = null;
        if (pattern == "*") { error = "must name hosts: * would send the secret anywhere; use an exact host name or *.domain"; return false; }
        if (!HostPattern.TryNormalize(pattern, out var n, out error)) return false;
        if (n.Contains('/')) { error = "must not be a CIDR: a secret goes to named hosts; use an exact host name or *.domain"; return false; }
        normalized = n;
        return true;
    }

    /// <summary>Compiles <paramref name="patterns"/> (at least one); false with an error naming the bad entry.</summary>
    public static bool TryCreate(IEnumerable<string> patterns, [NotNullWhen(true)] out SecretHosts? hosts, [NotNullWhen(false)] out string? error)
    {
        hosts = null;
        var list = new List<string>();
        var index = 0;
        foreach (var pattern in patterns)
        {
            if (pattern is null) { error = $"hosts[{index}] must be a string"; return false; }
            if (!TryNormalize(pattern, out var n, out var e)) { error = $"hosts[{index}] {e}"; return false; }
            if (!list.Contains(n)) list.Add(n);
            index++;
        }
        if (list.Count == 0) { error = "hosts must list at least one host"; return false; }
        hosts = new SecretHosts(list);
        error = null;
        return true;
    }

    /// <summary><see cref="TryCreate"/> that throws <see cref="ArgumentException"/>.</summary>
    public static SecretHosts Create(IEnumerable<string> patterns) =>
        TryCreate(patterns, out var hosts, out var error) ? hosts : throw new ArgumentException(error, nameof(patterns));

    /// <summary>
    /// Whether a request host (any spelling <see cref="EgressHost.TryCanonicalize"/> accepts; no port) is one of these
    /// hosts. An invalid host matches nothing.
    /// </summary>
    public bool Matches(string requestHost)
    {
        if (!EgressHost.TryCanonicalize(requestHost, out var host, out _)) return false;
        foreach (var exact in _exact)
            if (string.Equals(exact, host, StringComparison.Ordinal)) return true;
        for (var i = 0; i < _suffixes.Length; i++)
            if (string.Equals(host, _suffixes[i], StringComparison.Ordinal)
                || (host.Length > _dotSuffixes[i].Length && host.EndsWith(_dotSuffixes[i], StringComparison.Ordinal)))
                return true;
        return false;
    }

    public override string ToString() => string.Join(", ", Patterns);
}
