using System.Collections.Concurrent;
using System.Net;
using Hive.Core.Config;
using Hive.Core.Egress;

namespace Hive.Egress;

/// <summary>One sandbox as the proxy and DNS see it: its name, the policy in force, its synthetic names.</summary>
public sealed class SandboxEgress(string name, EgressPolicy policy)
{
    /// <summary>Synthetic addresses stand for names; one pool per sandbox, from the benchmarking range no real host uses.</summary>
    public static readonly IPNetwork PoolNetwork = IPNetwork.Parse("198.18.0.0/16");

    public string Name { get; } = name;

    /// <summary>Swapped whole on apply: a request sees either the old policy or the new one, never a mix.</summary>
    public EgressPolicy Policy { get; set; } = policy;

    public SyntheticAddressPool Pool { get; } = new(PoolNetwork);
}

/// <summary>Sandboxes by source address: how the proxy and DNS know who is asking.</summary>
public sealed class EgressRegistry
{
    private readonly ConcurrentDictionary<IPAddress, SandboxEgress> _byAddress = new();
    private readonly ConcurrentDictionary<string, IPAddress> _addressByName = new(StringComparer.Ordinal);

    public void Register(string name, IPAddress address, SandboxConfig config)
    {
        Unregister(name);
        _byAddress[address] = new SandboxEgress(name, EgressPolicy.Compile(config));
        _addressByName[name] = address;
    }

    public void Update(string name, SandboxConfig config)
    {
        if (_addressByName.TryGetValue(name, out var address) && _byAddress.TryGetValue(address, out var sandbox))
            sandbox.Policy = EgressPolicy.Compile(config);
    }

    public void Unregister(string name)
    {
        if (_addressByName.TryRemove(name, out var address)) _byAddress.TryRemove(address, out _);
    }

    public bool TryGet(IPAddress source, out SandboxEgress sandbox)
    {
        if (source.IsIPv4MappedToIPv6) source = source.MapToIPv4();
        return _byAddress.TryGetValue(source, out sandbox!);
    }
}
