using System.Net;
using Hive.Core.Config;

namespace Hive.Core.Egress;

/// <summary>One egress rule in the form <see cref="EgressPolicy"/> matches on the hot path.</summary>
internal sealed class CompiledEgressRule
{
    public enum HostKind : byte { Any, Suffix, Exact, Address, Network }

    public readonly bool Allow;
    /// <summary>An ask rule: holds what it matches for a person (neither <see cref="Allow"/> nor a deny).</summary>
    public readonly bool Ask;
    public readonly HostKind Kind;
    /// <summary>Exact: the name. Suffix: the domain after <c>*.</c>.</summary>
    public readonly string Name = "";
    /// <summary>Suffix: <c>.</c> + the domain.</summary>
    public readonly string DotSuffix = "";
    public readonly IpNetworkValue Network;
    public readonly int[]? Ports;
    public readonly string[]? Methods;
    public readonly PathGlob[]? Paths;
    /// <summary>Has methods or paths: only an HTTP request can be decided by it.</summary>
    public readonly bool NeedsHttp;
    public readonly OverrideApplier? Override;

    public CompiledEgressRule(EgressRule rule)
    {
        Allow = rule.Access == EgressAccess.Allow;
        Ask = rule.Access == EgressAccess.Ask;
        var host = rule.Host;
        if (host == "*") Kind = HostKind.Any;
        else if (host.StartsWith("*.", StringComparison.Ordinal))
        {
            Kind = HostKind.Suffix;
            Name = host[2..].ToLowerInvariant();
            DotSuffix = "." + Name;
        }
        else if (host.Contains('/'))
        {
            Kind = HostKind.Network;
            var range = AddressClassifier.ParseRange(host) ?? throw new ArgumentException($"invalid CIDR in rule: {host}", nameof(rule));
            Network = IpNetworkValue.From(range);
        }
        else if (IpLiteral.TryParseLoose(host, out var address))
        {
            // Also a name such as 0x7f000001 that HostPattern keeps as a name: requests spell it as the address.
            Kind = HostKind.Address;
            var value = IpValue.From(address);
            Network = value.IsV4 ? IpNetworkValue.V4(value.V4Value, 32) : IpNetworkValue.V6(value.Value, 128);
        }
        else
        {
            Kind = HostKind.Exact;
            Name = host.ToLowerInvariant();
        }

        Ports = rule.Ports is { } ports ? [.. ports] : null;
        Methods = rule.Methods is { } methods ? [.. methods] : null;
        Paths = rule.Paths is { } paths ? [.. paths.Select(PathGlob.Compile)] : null;
        NeedsHttp = Methods is not null || Paths is not null;
        Override = rule.Override is { } o && (o.Headers.Count > 0 || o.Query.Count > 0) ? new OverrideApplier(o) : null;
    }

    /// <summary>Allow or ask: something it matches may go upstream.</summary>
    public bool MayPass => Allow || Ask;

    public bool IsAddressRule => Kind is HostKind.Address or HostKind.Network;

    /// <summary>Name rules and <c>*</c> against a DNS name (ASCII, any case, no trailing dot).</summary>
    public bool MatchesName(ReadOnlySpan<char> name) => Kind switch
    {
        HostKind.Any => true,
        HostKind.Exact => name.Equals(Name, StringComparison.OrdinalIgnoreCase),
        HostKind.Suffix => name.Equals(Name, StringComparison.OrdinalIgnoreCase)
            || (name.Length > DotSuffix.Length && name.EndsWith(DotSuffix, StringComparison.OrdinalIgnoreCase)),
        _ => false,
    };

    public bool MatchesAddress(in IpValue address) => Network.Contains(address);

    public bool MatchesPort(int port)
    {
        if (Ports is null) return true;
        foreach (var p in Ports) if (p == port) return true;
        return false;
    }

    public bool MatchesMethod(string? method)
    {
        if (Methods is null) return true;
        if (method is null) return false;
        foreach (var m in Methods) if (string.Equals(m, method, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    public bool MatchesPath(string path)
    {
        foreach (var glob in Paths!) if (glob.IsMatch(path)) return true;
        return false;
    }
}
