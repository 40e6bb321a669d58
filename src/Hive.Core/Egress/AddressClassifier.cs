using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Hive.Core.Egress;

/// <summary>
/// Decides which addresses the egress proxy may dial upstream (docs/egress.md): never loopback, private, link-local,
/// CGNAT, cloud metadata, unspecified, multicast, broadcast, reserved, benchmark or documentation ranges, nor the
/// host's own addresses — in any IPv6 spelling that embeds such an IPv4 address — unless an allow-listed range
/// (the daemon's <c>upstream.allowPrivate</c>) covers the address.
/// </summary>
/// <remarks>
/// IPv6 forms that carry an IPv4 address are classified by every IPv4 address they may carry, and forbidden when any
/// of them is: IPv4-mapped <c>::ffff:0:0/96</c>, IPv4-compatible <c>::/96</c>, NAT64 <c>64:ff9b::/96</c>, 6to4
/// <c>2002::/16</c> (bits 16-47), Teredo <c>2001::/32</c> (server in bits 32-63, client XOR-ed in the last 32 bits)
/// and ISATAP interface ids (<c>::0:5efe:a.b.c.d</c>, <c>::200:5efe:a.b.c.d</c>, any prefix). The local-use NAT64
/// prefix <c>64:ff9b:1::/48</c> is always forbidden: where it carries the IPv4 address depends on a prefix length
/// chosen by the site (RFC 6052 layouts from /48 to /96), so no reading is safe; the reason comes from the /96
/// reading when that is forbidden, else it is <c>reserved</c>.
/// <para>
/// The allow-list exempts an address it contains; an IPv4-mapped address counts as its IPv4 address (so
/// <c>127.0.0.0/8</c> also exempts <c>::ffff:127.0.0.1</c>), but the other embeddings are not exempted by an IPv4
/// range — they reach a translator or relay, not the IPv4 host — only by an IPv6 range that contains them.
/// </para>
/// <para>
/// Some addresses are never dialled, whatever the allow-list says (issue: the daemon reached through an allowed name):
/// the unspecified addresses (they reach this host), the host's own addresses other than loopback, the sandboxes'
/// network, and the ports of the daemon's own services (API, proxy, DNS) on a loopback or host address. Loopback on
/// other ports stays exemptable, so tests can reach their upstream servers on loopback.
/// </para>
/// Immutable and thread-safe; <see cref="IsForbiddenUpstream(IPAddress, out string?)"/> does not allocate.
/// </remarks>
public sealed class AddressClassifier
{
    private readonly IpNetworkValue[] _allowed;
    private readonly IpValue[] _hostAddresses;
    private readonly IpNetworkValue[] _never;
    private readonly int[] _daemonPorts;

    /// <summary>Forbids everything in the default lists; exempts nothing.</summary>
    public static AddressClassifier Default { get; } = new([], []);

    /// <param name="allowPrivate">Ranges the proxy may dial although they are forbidden by default.</param>
    /// <param name="hostAddresses">The host's own addresses: forbidden unless an allowed range covers them.</param>
    /// <param name="neverDial">Networks never dialled, whatever <paramref name="allowPrivate"/> says (the sandboxes' network).</param>
    /// <param name="daemonPorts">The daemon's own listening ports: never dialled on a loopback or host address.</param>
    public AddressClassifier(IEnumerable<IPNetwork> allowPrivate, IEnumerable<IPAddress> hostAddresses,
        IEnumerable<IPNetwork>? neverDial = null, IEnumerable<int>? daemonPorts = null)
    {
        _allowed = [.. allowPrivate.Select(IpNetworkValue.From)];
        _hostAddresses = [.. hostAddresses.Select(IpValue.From).Distinct()];
        _never = [.. (neverDial ?? []).Select(IpNetworkValue.From)];
        _daemonPorts = [.. (daemonPorts ?? []).Distinct()];
    }

    /// <summary>
    /// Builds a classifier from <c>upstream.allowPrivate</c> strings: CIDRs (host bits are ignored) or single addresses.
    /// </summary>
    public static AddressClassifier Create(IEnumerable<string> allowPrivate, IEnumerable<IPAddress> hostAddresses,
        IEnumerable<IPNetwork>? neverDial = null, IEnumerable<int>? daemonPorts = null)
    {
        var networks = new List<IPNetwork>();
        foreach (var text in allowPrivate)
            networks.Add(ParseRange(text) ?? throw new FormatException($"\"{text}\" is not a CIDR such as 127.0.0.0/8 or an IP address"));
        return new AddressClassifier(networks, hostAddresses, neverDial, daemonPorts);
    }

    /// <summary>Parses a CIDR (host bits cleared) or a single address; null when invalid.</summary>
    public static IPNetwork? ParseRange(string text)
    {
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (addressText.StartsWith('[') && addressText.EndsWith(']')) addressText = addressText[1..^1];
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%')) return null;
        var bits = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        var prefix = bits;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out prefix) || prefix > bits))
            return null;
        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bits; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new IPNetwork(new IPAddress(bytes), prefix);
    }

    /// <summary>
    /// Whether the proxy must refuse to dial <paramref name="address"/>; <paramref name="reason"/> is one of
    /// <see cref="AddressCategory"/>'s values.
    /// </summary>
    public bool IsForbiddenUpstream(IPAddress address, [NotNullWhen(true)] out string? reason) =>
        IsForbiddenUpstream(IpValue.From(address), out reason);

    /// <summary>Whether the proxy must refuse to dial <paramref name="address"/> on <paramref name="port"/>: also the daemon's own ports.</summary>
    public bool IsForbiddenUpstream(IPAddress address, int port, [NotNullWhen(true)] out string? reason)
    {
        var value = IpValue.From(address);
        if (Array.IndexOf(_daemonPorts, port) >= 0 && (IsHostAddress(value) || Classify(value, out _, out _) is AddressCategory.Loopback or AddressCategory.Unspecified))
        {
            reason = AddressCategory.Daemon;
            return true;
        }
        return IsForbiddenUpstream(value, out reason);
    }

    /// <summary>The same for an address in network byte order (4 or 16 bytes), e.g. from a socket address.</summary>
    public bool IsForbiddenUpstream(ReadOnlySpan<byte> address, [NotNullWhen(true)] out string? reason)
    {
        if (!IpValue.TryFrom(address, out var value)) throw new ArgumentException("an address is 4 or 16 bytes", nameof(address));
        return IsForbiddenUpstream(value, out reason);
    }

    internal bool IsForbiddenUpstream(in IpValue address, [NotNullWhen(true)] out string? reason)
    {
        if (IsNeverDialled(address, out reason)) return true;
        foreach (var network in _allowed)
        {
            if (network.Contains(address))
            {
                reason = null;
                return false;
            }
        }
        if (IsHostAddress(address))
        {
            reason = AddressCategory.Host;
            return true;
        }
        reason = Classify(address, out var embedded, out var count);
        if (reason is not null) return true;
        for (var i = 0; i < count; i++)
        {
            if (IsHostAddress(IpValue.V4(embedded[i])))
            {
                reason = AddressCategory.Host;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The category of <paramref name="address"/> by the default lists alone (no allow-list, no host addresses);
    /// null for an ordinary global address.
    /// </summary>
    public static string? Classify(IPAddress address) => Classify(IpValue.From(address), out _, out _);

    /// <summary>What no allow-list exempts: unspecified, the sandboxes' network, the host's own non-loopback addresses.</summary>
    private bool IsNeverDialled(in IpValue address, [NotNullWhen(true)] out string? reason)
    {
        foreach (var network in _never)
        {
            if (network.Contains(address))
            {
                reason = AddressCategory.SandboxNetwork;
                return true;
            }
        }
        var category = Classify(address, out var embedded, out var count);
        if (category == AddressCategory.Unspecified)
        {
            reason = category;
            return true;
        }
        if (category != AddressCategory.Loopback && IsHostAddress(address))
        {
            reason = AddressCategory.Host;
            return true;
        }
        for (var i = 0; i < count; i++)
        {
            var v4 = IpValue.V4(embedded[i]);
            foreach (var network in _never)
            {
                if (network.Contains(v4))
                {
                    reason = AddressCategory.SandboxNetwork;
                    return true;
                }
            }
            if (ClassifyV4(embedded[i]) != AddressCategory.Loopback && IsHostAddress(v4))
            {
                reason = AddressCategory.Host;
                return true;
            }
        }
        reason = null;
        return false;
    }

    private bool IsHostAddress(in IpValue address)
    {
        foreach (var own in _hostAddresses)
            if (own.Equals(address)) return true;
        return false;
    }

    private readonly record struct V4Range(uint Network, uint Mask, string Category)
    {
        public static V4Range Of(byte a, byte b, byte c, byte d, int prefix, string category) =>
            new((uint)(a << 24 | b << 16 | c << 8 | d), prefix == 0 ? 0 : uint.MaxValue << (32 - prefix), category);
    }

    // Checked in order: specific entries (metadata, broadcast) before the ranges that contain them.
    private static readonly V4Range[] V4Ranges =
    [
        V4Range.Of(169, 254, 169, 254, 32, AddressCategory.Metadata),   // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack …
        V4Range.Of(169, 254, 170, 2, 32, AddressCategory.Metadata),     // AWS ECS task metadata
        V4Range.Of(169, 254, 170, 23, 32, AddressCategory.Metadata),    // AWS EKS pod identity
        V4Range.Of(169, 254, 169, 123, 32, AddressCategory.Metadata),   // AWS time sync
        V4Range.Of(169, 254, 169, 253, 32, AddressCategory.Metadata),   // AWS VPC DNS
        V4Range.Of(100, 100, 100, 200, 32, AddressCategory.Metadata),   // Alibaba Cloud
        V4Range.Of(168, 63, 129, 16, 32, AddressCategory.Metadata),     // Azure wire server (a public address)
        V4Range.Of(192, 0, 0, 192, 32, AddressCategory.Metadata),       // Oracle Cloud (legacy)
        V4Range.Of(255, 255, 255, 255, 32, AddressCategory.Broadcast),
        V4Range.Of(0, 0, 0, 0, 8, AddressCategory.Unspecified),         // "this network"
        V4Range.Of(10, 0, 0, 0, 8, AddressCategory.Private),
        V4Range.Of(100, 64, 0, 0, 10, AddressCategory.Cgnat),
        V4Range.Of(127, 0, 0, 0, 8, AddressCategory.Loopback),
        V4Range.Of(169, 254, 0, 0, 16, AddressCategory.LinkLocal),
        V4Range.Of(172, 16, 0, 0, 12, AddressCategory.Private),
        V4Range.Of(192, 0, 0, 0, 24, AddressCategory.Reserved),         // IETF protocol assignments
        V4Range.Of(192, 0, 2, 0, 24, AddressCategory.Documentation),
        V4Range.Of(192, 88, 99, 0, 24, AddressCategory.Reserved),       // 6to4 relay anycast
        V4Range.Of(192, 168, 0, 0, 16, AddressCategory.Private),
        V4Range.Of(198, 18, 0, 0, 15, AddressCategory.Benchmark),
        V4Range.Of(198, 51, 100, 0, 24, AddressCategory.Documentation),
        V4Range.Of(203, 0, 113, 0, 24, AddressCategory.Documentation),
        V4Range.Of(224, 0, 0, 0, 4, AddressCategory.Multicast),
        V4Range.Of(240, 0, 0, 0, 4, AddressCategory.Reserved),
    ];

    /// <summary>A null category: not forbidden by its range (what it embeds was checked before).</summary>
    private readonly record struct V6Range(UInt128 Network, UInt128 Mask, string? Category)
    {
        public static V6Range Of(ulong high, ulong low, int prefix, string? category) =>
            new(new UInt128(high, low), prefix == 0 ? 0 : UInt128.MaxValue << (128 - prefix), category);
    }

    private static readonly V6Range[] V6Ranges =
    [
        V6Range.Of(0, 0, 128, AddressCategory.Unspecified),                                 // ::
        V6Range.Of(0, 1, 128, AddressCategory.Loopback),                                    // ::1
        V6Range.Of(0xfd00_0ec2_0000_0000, 0x254, 128, AddressCategory.Metadata),            // fd00:ec2::254 (AWS)
        V6Range.Of(0xfd00_0ec2_0000_0000, 0x23, 128, AddressCategory.Metadata),             // fd00:ec2::23 (AWS time)
        V6Range.Of(0xfd00_0ec2_0000_0000, 0, 32, AddressCategory.Metadata),                 // the rest of AWS's fd00:ec2::/32
        V6Range.Of(0x0064_ff9b_0000_0000, 0, 96, null),                                     // 64:ff9b::/96 NAT64
        V6Range.Of(0x0064_ff9b_0001_0000, 0, 48, AddressCategory.Reserved),                 // 64:ff9b:1::/48 local NAT64
        V6Range.Of(0, 0, 8, AddressCategory.Reserved),                                      // ::/8 (what ::/96 leaves)
        V6Range.Of(0x0100_0000_0000_0000, 0, 64, AddressCategory.Reserved),                 // 100::/64 discard-only
        V6Range.Of(0x2001_0002_0000_0000, 0, 48, AddressCategory.Benchmark),                // 2001:2::/48
        V6Range.Of(0x2001_0010_0000_0000, 0, 28, AddressCategory.Reserved),                 // 2001:10::/28 ORCHID
        V6Range.Of(0x2001_0020_0000_0000, 0, 28, AddressCategory.Reserved),                 // 2001:20::/28 ORCHIDv2
        V6Range.Of(0x2001_0db8_0000_0000, 0, 32, AddressCategory.Documentation),            // 2001:db8::/32
        V6Range.Of(0x3fff_0000_0000_0000, 0, 20, AddressCategory.Documentation),            // 3fff::/20
        V6Range.Of(0x5f00_0000_0000_0000, 0, 16, AddressCategory.Reserved),                 // 5f00::/16 SRv6 SIDs
        V6Range.Of(0xfc00_0000_0000_0000, 0, 7, AddressCategory.Private),                   // unique local
        V6Range.Of(0xfe80_0000_0000_0000, 0, 10, AddressCategory.LinkLocal),
        V6Range.Of(0xfec0_0000_0000_0000, 0, 10, AddressCategory.Private),                  // site-local (deprecated)
        V6Range.Of(0xff00_0000_0000_0000, 0, 8, AddressCategory.Multicast),
    ];

    private static string? ClassifyV4(uint address)
    {
        foreach (var range in V4Ranges)
            if ((address & range.Mask) == range.Network) return range.Category;
        return null;
    }

    /// <summary>Classifies an address and returns the IPv4 addresses an IPv6 address may carry.</summary>
    private static string? Classify(in IpValue address, out EmbeddedV4 embedded, out int count)
    {
        embedded = default;
        count = 0;
        if (address.IsV4) return ClassifyV4(address.V4Value);

        var v = address.Value;
        if (v > 1) count = Embedded(v, ref embedded);
        for (var i = 0; i < count; i++)
            if (ClassifyV4(embedded[i]) is { } category) return category;
        foreach (var range in V6Ranges)
            if ((v & range.Mask) == range.Network) return range.Category;
        return null;
    }

    [System.Runtime.CompilerServices.InlineArray(8)]
    private struct EmbeddedV4
    {
        private uint _element;
    }

    private static uint Bits(UInt128 v, int start, int length) =>
        (uint)((v >> (128 - start - length)) & ((UInt128.One << length) - 1));

    private static int Embedded(UInt128 v, ref EmbeddedV4 found)
    {
        var n = 0;
        var high96 = v >> 32;
        if (high96 == 0) found[n++] = (uint)v;                                               // ::/96 IPv4-compatible
        if (high96 == (UInt128)0x0064_ff9b << 64) found[n++] = (uint)v;                      // 64:ff9b::/96
        if ((v >> 80) == 0x0064_ff9b_0001) found[n++] = (uint)v;                             // 64:ff9b:1::/48 read as /96
        if ((v >> 112) == 0x2002) found[n++] = Bits(v, 16, 32);                             // 6to4
        if ((v >> 96) == 0x2001_0000)                                                        // Teredo
        {
            found[n++] = Bits(v, 32, 32);                                                    // server
            found[n++] = ~(uint)v;                                                           // client, obfuscated
        }
        if ((Bits(v, 64, 32) & 0xfcff_ffff) == 0x0000_5efe) found[n++] = (uint)v;           // ISATAP interface id
        return n;
    }
}
