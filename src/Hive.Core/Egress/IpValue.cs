using System.Net;

namespace Hive.Core.Egress;

/// <summary>
/// An IP address as a number, for allocation-free comparisons: IPv4 in the low 32 bits with <see cref="IsV4"/> set,
/// IPv6 as all 128 bits. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are folded into the IPv4 address they stand for
/// (a dual-stack socket dialling one reaches the other).
/// </summary>
internal readonly struct IpValue : IEquatable<IpValue>
{
    public readonly UInt128 Value;
    public readonly bool IsV4;

    private IpValue(UInt128 value, bool isV4)
    {
        Value = value;
        IsV4 = isV4;
    }

    public static IpValue V4(uint value) => new(value, true);

    /// <summary>An IPv6 address; an IPv4-mapped one becomes IPv4.</summary>
    public static IpValue V6(UInt128 value) =>
        (value >> 32) == 0xffff ? new IpValue(value & uint.MaxValue, true) : new IpValue(value, false);

    /// <summary>An IPv6 value exactly as given (network bases that must stay IPv6).</summary>
    public static IpValue V6Unfolded(UInt128 value) => new(value, false);

    public uint V4Value => (uint)Value;

    public static bool TryFrom(IPAddress? address, out IpValue value)
    {
        value = default;
        if (address is null) return false;
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written)) return false;
        return TryFrom(bytes[..written], out value);
    }

    /// <summary>4 bytes (IPv4) or 16 bytes (IPv6), network order.</summary>
    public static bool TryFrom(ReadOnlySpan<byte> bytes, out IpValue value)
    {
        switch (bytes.Length)
        {
            case 4:
                value = V4((uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3]);
                return true;
            case 16:
                UInt128 v = 0;
                foreach (var b in bytes) v = v << 8 | b;
                value = V6(v);
                return true;
            default:
                value = default;
                return false;
        }
    }

    public static IpValue From(IPAddress address) =>
        TryFrom(address, out var value) ? value : throw new ArgumentException("not an IPv4 or IPv6 address", nameof(address));

    public IPAddress ToIPAddress()
    {
        if (IsV4)
        {
            var v = V4Value;
            return new IPAddress([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
        }
        var bytes = new byte[16];
        for (var i = 0; i < 16; i++) bytes[i] = (byte)(Value >> (8 * (15 - i)));
        return new IPAddress(bytes);
    }

    public bool Equals(IpValue other) => Value == other.Value && IsV4 == other.IsV4;
    public override bool Equals(object? obj) => obj is IpValue other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Value, IsV4);
    public override string ToString() => ToIPAddress().ToString();
}

/// <summary>A CIDR as numbers: <see cref="Contains"/> is allocation-free.</summary>
internal readonly struct IpNetworkValue
{
    public readonly IpValue Network;
    public readonly int PrefixLength;
    private readonly UInt128 _mask;

    private IpNetworkValue(UInt128 network, bool isV4, int prefixLength)
    {
        var bits = isV4 ? 32 : 128;
        if (prefixLength < 0 || prefixLength > bits) throw new ArgumentOutOfRangeException(nameof(prefixLength));
        PrefixLength = prefixLength;
        _mask = prefixLength == 0 ? UInt128.Zero : (isV4 ? (UInt128)(uint.MaxValue << (32 - prefixLength)) : UInt128.MaxValue << (128 - prefixLength));
        Network = isV4 ? IpValue.V4((uint)(network & _mask)) : IpValue.V6Unfolded(network & _mask);
    }

    public static IpNetworkValue V4(uint network, int prefix) => new(network, true, prefix);

    /// <summary>
    /// An IPv6 network. One inside ::ffff:0:0/96 with a prefix of at least 96 becomes the IPv4 network it stands for,
    /// because IPv4-mapped addresses are folded into IPv4 (<see cref="IpValue.V6"/>).
    /// </summary>
    public static IpNetworkValue V6(UInt128 network, int prefix) =>
        prefix >= 96 && (network >> 32) == 0xffff ? new(network & uint.MaxValue, true, prefix - 96) : new(network, false, prefix);

    public static IpNetworkValue From(IPAddress baseAddress, int prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!baseAddress.TryWriteBytes(bytes, out var written)) throw new ArgumentException("not an IP address", nameof(baseAddress));
        if (written == 4) return V4((uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3], prefix);
        UInt128 v = 0;
        foreach (var b in bytes[..16]) v = v << 8 | b;
        return V6(v, prefix);
    }

    public static IpNetworkValue From(IPNetwork network) => From(network.BaseAddress, network.PrefixLength);

    public bool Contains(in IpValue address) =>
        address.IsV4 == Network.IsV4 && (address.Value & _mask) == Network.Value;

    public override string ToString() => $"{Network}/{PrefixLength}";
}
