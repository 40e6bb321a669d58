using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Hive.Core.Egress;

/// <summary>
/// Recognises IP literals in URL hosts, Host headers and SNI the way clients do, so that the proxy can canonicalise
/// every spelling of an address before matching rules. IPv4 follows the WHATWG URL host parser (the same as
/// <c>inet_aton</c>, curl and browsers): one to four dot-separated parts, each decimal, octal (leading 0) or hex
/// (0x), the last part filling the remaining bytes (<c>127.1</c>, <c>0x7f.1</c>, <c>0177.0.0.1</c>,
/// <c>2130706433</c>, <c>0x7f000001</c>), one trailing dot ignored. IPv6 is taken with or without brackets; an
/// IPv4-mapped address (<c>[::ffff:127.0.0.1]</c>, <c>[::ffff:7f00:1]</c>) becomes the IPv4 address.
/// </summary>
public static class IpLiteral
{
    /// <summary>
    /// Parses <paramref name="host"/> as an IP literal in any spelling. The result is canonical: IPv4 for IPv4 and
    /// IPv4-mapped IPv6, otherwise IPv6 (no scope id). False when the host is not an IP literal; a host that
    /// <see cref="EndsInNumber"/> but does not parse is not a valid host at all (treat it as invalid, not as a name).
    /// </summary>
    public static bool TryParseLoose(ReadOnlySpan<char> host, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (host.Length == 0) return false;
        if (host[0] == '[')
        {
            if (host.Length < 3 || host[^1] != ']') return false;
            return TryParseIPv6(host[1..^1], out address);
        }
        if (host.Contains(':')) return TryParseIPv6(host, out address);
        if (!TryParseLooseIPv4(host, out var v4)) return false;
        address = IpValue.V4(v4).ToIPAddress();
        return true;
    }

    /// <summary>The IPv4 part of <see cref="TryParseLoose"/> without allocating: the address in host order.</summary>
    public static bool TryParseLooseIPv4(ReadOnlySpan<char> host, out uint address)
    {
        address = 0;
        if (host.Length == 0) return false;
        if (host[^1] == '.') host = host[..^1];
        if (host.Length == 0) return false;

        Span<ulong> parts = stackalloc ulong[4];
        var count = 0;
        while (true)
        {
            var dot = host.IndexOf('.');
            var part = dot < 0 ? host : host[..dot];
            if (count == 4 || !TryParseNumber(part, out parts[count])) return false;
            count++;
            if (dot < 0) break;
            host = host[(dot + 1)..];
        }

        ulong value = 0;
        for (var i = 0; i < count - 1; i++)
        {
            if (parts[i] > 255) return false;
            value |= parts[i] << (8 * (3 - i));
        }
        var last = parts[count - 1];
        if (last >= 1UL << (8 * (5 - count))) return false;
        address = (uint)(value | last);
        return true;
    }

    /// <summary>
    /// True when the last label of <paramref name="host"/> (after one trailing dot) is a number — all decimal digits,
    /// or 0x followed by hex digits. The WHATWG URL parser then requires the whole host to be an IPv4 address; such a
    /// host that is not one (<c>1.2.3.4.5</c>, <c>08.0.0.1</c>, <c>example.0x10</c>) is invalid, never a name.
    /// </summary>
    public static bool EndsInNumber(ReadOnlySpan<char> host)
    {
        if (host.Length > 0 && host[^1] == '.') host = host[..^1];
        if (host.Length == 0) return false;
        var last = host[(host.LastIndexOf('.') + 1)..];
        if (last.Length == 0) return false;
        if (IsAllDigits(last)) return true;
        if (last.Length >= 2 && last[0] == '0' && (last[1] | 0x20) == 'x')
        {
            foreach (var c in last[2..]) if (!char.IsAsciiHexDigit(c)) return false;
            return true;
        }
        return false;
    }

    private static bool TryParseNumber(ReadOnlySpan<char> part, out ulong value)
    {
        value = 0;
        if (part.Length == 0) return false;
        int radix;
        if (part.Length >= 2 && part[0] == '0' && (part[1] | 0x20) == 'x')
        {
            radix = 16;
            part = part[2..];
        }
        else if (part.Length >= 2 && part[0] == '0')
        {
            radix = 8;
            part = part[1..];
        }
        else radix = 10;

        foreach (var c in part)
        {
            int digit;
            if (char.IsAsciiDigit(c)) digit = c - '0';
            else if (radix == 16 && char.IsAsciiHexDigit(c)) digit = (c | 0x20) - 'a' + 10;
            else return false;
            if (digit >= radix) return false;
            value = value * (ulong)radix + (ulong)digit;
            if (value > uint.MaxValue) return false; // no part may exceed 32 bits; also stops overflow on long input
        }
        return true;
    }

    private static bool TryParseIPv6(ReadOnlySpan<char> text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        // IPAddress.TryParse also accepts brackets, ports, zone ids and surrounding junk: admit only address characters.
        foreach (var c in text)
            if (!(char.IsAsciiHexDigit(c) || c is ':' or '.')) return false;
        if (!text.Contains(':') || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
            return false;
        address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        return true;
    }

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
