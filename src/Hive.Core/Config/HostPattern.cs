using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hive.Core.Config;

/// <summary>Validates and normalises the <c>host</c> of an egress rule (docs/egress.md).</summary>
public static class HostPattern
{
    public const string Forms =
        "an exact host name (api.github.com), *.domain (the domain and all its subdomains), *, " +
        "an IPv4 address (10.0.0.1), an IPv6 address (2001:db8::1 or [2001:db8::1]) or a CIDR (10.1.0.0/16)";

    private static readonly IdnMapping Idn = new();

    /// <summary>
    /// Normalises <paramref name="input"/> to one of: <c>*</c>; <c>*.name</c>; a lower-case punycode DNS name without
    /// trailing dot; a canonical IPv4 or IPv6 literal (no brackets); a CIDR with host bits cleared.
    /// </summary>
    public static bool TryNormalize(string input, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        normalized = null;
        if (input.Length == 0) { error = "must not be empty; use " + Forms; return false; }
        if (input == "*") { normalized = "*"; error = null; return true; }
        foreach (var c in input)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                error = "must not contain whitespace or control characters; use " + Forms;
                return false;
            }
        }
        if (input.Contains('/')) return TryCidr(input, out normalized, out error);
        if (input[0] == '[')
        {
            if (input.Length < 2 || input[^1] != ']') { error = "has an opening [ without a closing ]; use " + Forms; return false; }
            return TryIPv6(input[1..^1], out normalized, out error);
        }
        if (input.Contains(':'))
        {
            if (LooksLikeNameWithPort(input))
            {
                error = "must not include a port; list ports in \"ports\"";
                return false;
            }
            return TryIPv6(input, out normalized, out error);
        }
        if (input.StartsWith("*.", StringComparison.Ordinal))
        {
            if (!TryName(input[2..], out var suffix, out error)) return false;
            normalized = "*." + suffix;
            return true;
        }
        if (input.Contains('*'))
        {
            error = "may use * only alone or as the whole first label (*.example.com); use " + Forms;
            return false;
        }
        return TryNameOrIPv4(input, out normalized, out error);
    }

    private static bool TryNameOrIPv4(string input, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        var trimmed = input.EndsWith('.') ? input[..^1] : input;
        var lastDot = trimmed.LastIndexOf('.');
        var lastLabel = trimmed[(lastDot + 1)..];
        if (lastLabel.Length > 0 && lastLabel.All(char.IsAsciiDigit))
        {
            // A top-level label is never all digits, so this can only be meant as an IPv4 address.
            if (TryIPv4(trimmed, out normalized, out var ipError)) { error = null; return true; }
            error = ipError;
            return false;
        }
        return TryName(input, out normalized, out error);
    }

    /// <summary>A DNS name: lower-case, punycode, one trailing dot removed. Underscores are allowed.</summary>
    private static bool TryName(string input, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        normalized = null;
        var name = input.EndsWith('.') ? input[..^1] : input;
        if (name.Length == 0) { error = "must not be empty; use " + Forms; return false; }
        if (!name.All(char.IsAscii))
        {
            if (!TryPunycode(name, out name, out error)) return false;
        }
        name = name.ToLowerInvariant();
        if (name.Length > 253) { error = "must be at most 253 characters long"; return false; }
        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                error = $"is not a valid host name: every label between dots must be 1-63 characters; use {Forms}";
                return false;
            }
            if (!label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                error = $"is not a valid host name: labels may contain only letters, digits, - and _; use {Forms}";
                return false;
            }
            if (label[0] == '-' || label[^1] == '-')
            {
                error = "is not a valid host name: a label must not start or end with -";
                return false;
            }
        }
        var last = name[(name.LastIndexOf('.') + 1)..];
        if (last.All(char.IsAsciiDigit))
        {
            error = "is not a valid host name: the last label must not be all digits (IPv4 addresses are written as a dotted quad)";
            return false;
        }
        normalized = name;
        error = null;
        return true;
    }

    // The daemon runs with invariant globalization, where IdnMapping does neither UTS #46 mapping nor NFC
    // normalisation. Characters that those steps would change (compatibility forms, joiners, other format
    // characters) are rejected rather than turned into a punycode name that no client would ever send.
    private static bool TryPunycode(string name, out string ascii, [NotNullWhen(false)] out string? error)
    {
        ascii = name;
        foreach (var rune in name.EnumerateRunes())
        {
            if (rune.IsAscii || rune.Value is 0x3002 or 0xff0e or 0xff61) continue;
            var letterLike = Rune.GetUnicodeCategory(rune) is UnicodeCategory.LowercaseLetter
                or UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
                or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.NonSpacingMark
                or UnicodeCategory.SpacingCombiningMark;
            if (!letterLike || rune.Value is >= 0xff00 and <= 0xffef)
            {
                error = "is not a valid internationalised host name: it contains a character that is not a letter, digit or mark (write the name in NFC, without compatibility forms)";
                return false;
            }
        }
        try
        {
            ascii = Idn.GetAscii(name.ToLowerInvariant());
            error = null;
            return true;
        }
        catch (ArgumentException)
        {
            error = "is not a valid internationalised host name; use " + Forms;
            return false;
        }
    }

    private static bool TryIPv4(string input, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        normalized = null;
        const string expected = "is not a valid IPv4 address: use a dotted quad of four numbers 0-255 such as 10.0.0.1";
        var parts = input.Split('.');
        if (parts.Length != 4) { error = expected; return false; }
        foreach (var part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || int.Parse(part, CultureInfo.InvariantCulture) > 255)
            {
                error = expected;
                return false;
            }
            if (part.Length > 1 && part[0] == '0')
            {
                error = "is not a valid IPv4 address: leading zeros are not allowed (some resolvers read them as octal)";
                return false;
            }
        }
        normalized = input;
        error = null;
        return true;
    }

    private static bool TryIPv6(string input, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        normalized = null;
        if (input.Contains('%')) { error = "is not allowed: IPv6 zone ids (%...) cannot be used in rules"; return false; }
        if (!input.Contains(':') || !IPAddress.TryParse(input, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            error = "is not a valid IPv6 address; use " + Forms;
            return false;
        }
        normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : address.ToString();
        error = null;
        return true;
    }

    private static bool TryCidr(string input, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        normalized = null;
        var slash = input.LastIndexOf('/');
        var addressText = input[..slash];
        var prefixText = input[(slash + 1)..];
        if (addressText.Length > 2 && addressText[0] == '[' && addressText[^1] == ']') addressText = addressText[1..^1];

        string? canonical;
        int maxPrefix;
        if (addressText.Contains(':'))
        {
            if (!TryIPv6(addressText, out canonical, out _) || canonical.Contains('.'))
            {
                error = "is not a valid CIDR: the address before / must be an IPv4 or IPv6 address, as in 10.1.0.0/16 or 2001:db8::/32";
                return false;
            }
            maxPrefix = 128;
        }
        else
        {
            if (!TryIPv4(addressText, out canonical, out _))
            {
                error = "is not a valid CIDR: the address before / must be an IPv4 or IPv6 address, as in 10.1.0.0/16 or 2001:db8::/32";
                return false;
            }
            maxPrefix = 32;
        }
        var prefix = prefixText.Length is > 0 and <= 3 && prefixText.All(char.IsAsciiDigit)
            ? int.Parse(prefixText, CultureInfo.InvariantCulture)
            : -1;
        if (prefix < 0 || prefix > maxPrefix)
        {
            error = $"is not a valid CIDR: the prefix length after / must be a number from 0 to {maxPrefix}";
            return false;
        }

        var bytes = IPAddress.Parse(canonical).GetAddressBytes();
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        normalized = $"{new IPAddress(bytes)}/{prefix}";
        error = null;
        return true;
    }

    private static bool LooksLikeNameWithPort(string input)
    {
        var colon = input.IndexOf(':');
        return colon > 0 && colon == input.LastIndexOf(':') && colon < input.Length - 1
            && input[(colon + 1)..].All(char.IsAsciiDigit);
    }
}
