using Hive.Runtime.Host;
using System.Net;
using System.Net.Sockets;

namespace Hive.Runtime.Network;

/// <summary>The addresses and names of one sandbox's network: a /30 of the daemon's subnet per slot.</summary>
public sealed record SandboxNetwork(int Slot, string Namespace, string HostVeth, IPAddress HostAddress, IPAddress SandboxAddress)
{
    public const int PrefixLength = 30;
    public string NamespacePath => $"/var/run/netns/{Namespace}";
}

/// <summary>Pure mapping from (daemon tag, subnet, slot) to a sandbox's network names and addresses.</summary>
public sealed class SlotAddressing
{
    private readonly uint _base;
    private readonly string _tag;

    public SlotAddressing(string subnetCidr, string daemonTag)
    {
        var parts = subnetCidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(parts[1], out var prefix) || prefix is < 8 or > 28)
            throw new ArgumentException($"subnet: must be an IPv4 CIDR with a prefix between /8 and /28, got \"{subnetCidr}\"");
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        _base = ToUInt(ip) & mask;
        Capacity = (int)Math.Min(1u << (32 - prefix - 2), 65536);
        _tag = daemonTag;
        Subnet = $"{FromUInt(_base)}/{prefix}";
    }

    public string Subnet { get; }
    public int Capacity { get; }

    /// <summary>Prefix of every host-side veth name of this daemon (nft matches on it).</summary>
    public string VethPrefix => $"hv{_tag}";

    /// <summary>Prefix of every network namespace name of this daemon.</summary>
    public string NamespacePrefix => $"hive-{_tag}-";

    public SandboxNetwork For(int slot)
    {
        if (slot < 0 || slot >= Capacity) throw new ArgumentOutOfRangeException(nameof(slot), $"slot must be 0-{Capacity - 1}");
        var net = _base + (uint)slot * 4;
        // Interface names are limited to 15 bytes: "hv" + 6-hex tag + up to 5 hex digits of slot.
        return new SandboxNetwork(slot, $"{NamespacePrefix}{slot}", $"{VethPrefix}{slot:x}", FromUInt(net + 1), FromUInt(net + 2));
    }

    private static uint ToUInt(IPAddress ip)
    {
        var b = ip.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static IPAddress FromUInt(uint v) => new([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
}
