using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Hive.Core.Config;

namespace Hive.Core.Egress;

/// <summary>
/// Canonical destination hosts: what a request host (SNI, Host header, absolute-form URI, DNS question) is
/// compared as. A host is either a name — lower case, punycode, no trailing dot, exactly as
/// <see cref="HostPattern.TryNormalize"/> normalises rule hosts — or an IP literal in canonical text
/// (<see cref="IPAddress.ToString"/>, IPv4-mapped folded to IPv4), recognised in every spelling by
/// <see cref="IpLiteral.TryParseLoose"/>. Anything else (wildcards, CIDRs, ports, junk, hosts that end in a number
/// but are no address) is invalid.
/// </summary>
public static class EgressHost
{
    /// <summary>
    /// Canonicalises <paramref name="raw"/> (no port; IPv6 with or without brackets). Allocation-free when
    /// <paramref name="raw"/> is already a canonical name (it is returned as is).
    /// </summary>
    /// <param name="host">The canonical host.</param>
    /// <param name="address">The address when the host is an IP literal; null for a name.</param>
    public static bool TryCanonicalize(string raw, [NotNullWhen(true)] out string? host, out IPAddress? address)
    {
        address = null;
        host = null;
        if (raw.Length == 0) return false;
        if (IsCanonicalName(raw))
        {
            host = raw;
            return true;
        }
        if (IpLiteral.TryParseLoose(raw, out address))
        {
            host = address.ToString();
            return true;
        }
        if (IpLiteral.EndsInNumber(raw) || raw.AsSpan().IndexOfAny('[', ']', ':') >= 0) return false;
        if (!HostPattern.TryNormalize(raw, out var normalized, out _)) return false;
        // TryNormalize also accepts rule-only forms; a request host is never a wildcard, a CIDR or an address here.
        if (normalized.AsSpan().IndexOfAny('*', '/', ':') >= 0 || !IsCanonicalName(normalized)) return false;
        host = normalized;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="name"/> is already a canonical DNS name: 1-253 characters, labels of 1-63 lower-case
    /// letters, digits, - and _, not starting or ending with -, the last label neither all digits nor a hex number.
    /// Exactly the names <see cref="HostPattern.TryNormalize"/> returns unchanged, minus wildcards and names whose last
    /// label is a hex number (<c>a.0x10</c>), which the URL standard makes invalid (tested).
    /// </summary>
    public static bool IsCanonicalName(ReadOnlySpan<char> name) => IsValidName(name, allowUpper: false);

    /// <summary>Like <see cref="IsCanonicalName"/> but ignores ASCII case and one trailing dot (a DNS question name).</summary>
    internal static bool IsAsciiName(ReadOnlySpan<char> name)
    {
        if (name.Length > 1 && name[^1] == '.') name = name[..^1];
        return IsValidName(name, allowUpper: true);
    }

    private static bool IsValidName(ReadOnlySpan<char> name, bool allowUpper)
    {
        if (name.Length is 0 or > 253) return false;
        var labelStart = 0;
        for (var i = 0; i <= name.Length; i++)
        {
            if (i == name.Length || name[i] == '.')
            {
                var length = i - labelStart;
                if (length is 0 or > 63 || name[labelStart] == '-' || name[i - 1] == '-') return false;
                labelStart = i + 1;
                continue;
            }
            var c = name[i];
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' || (allowUpper && char.IsAsciiLetterUpper(c))))
                return false;
        }
        return !IpLiteral.EndsInNumber(name);
    }

    /// <summary>
    /// Splits a Host header or authority (<c>name</c>, <c>name:port</c>, <c>[v6]</c>, <c>[v6]:port</c>) into host
    /// and port. An empty port (<c>name:</c>) is no port. False for anything else (unbracketed IPv6, bad port).
    /// </summary>
    public static bool TrySplitHostPort(string authority, [NotNullWhen(true)] out string? host, out int? port)
    {
        host = null;
        port = null;
        if (authority.Length == 0) return false;
        string? portText;
        if (authority[0] == '[')
        {
            var close = authority.IndexOf(']');
            if (close < 0) return false;
            host = authority[..(close + 1)];
            if (close == authority.Length - 1) portText = null;
            else if (authority[close + 1] == ':') portText = authority[(close + 2)..];
            else { host = null; return false; }
        }
        else
        {
            var colon = authority.IndexOf(':');
            if (colon >= 0 && authority.IndexOf(':', colon + 1) >= 0) return false;
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
        }
        if (host.Length == 0) { host = null; return false; }
        if (!string.IsNullOrEmpty(portText))
        {
            if (portText.Length > 5 || !IsAllDigits(portText)) { host = null; return false; }
            var value = int.Parse(portText, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value is < 1 or > 65535) { host = null; return false; }
            port = value;
        }
        return true;
    }

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
