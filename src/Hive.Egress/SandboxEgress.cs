using System.Collections.Concurrent;
using System.Net;
using Hive.Core.Config;
using Hive.Core.Egress;
using Hive.Core.Secrets;

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

    /// <summary>Seconds a held request waits for a person (the config's <c>askTimeout</c>).</summary>
    public int AskTimeout { get; set; } = SandboxConfig.DefaultAskTimeout;

    private volatile SecretSubstitution _secrets = SecretSubstitution.Empty;

    /// <summary>Swapped whole on every secret change: a request reads it once, so it sees one table, old or new.</summary>
    public SecretSubstitution Secrets { get => _secrets; set => _secrets = value; }

    /// <summary>Connections one sandbox may have open through the proxy at once; more are refused.</summary>
    public const int DefaultMaxConnections = 1024;

    public int MaxConnections { get; init; } = DefaultMaxConnections;

    private int _connections;
    private long _lastRefusalReport = -1000;

    public int OpenConnections => Volatile.Read(ref _connections);

    /// <summary>Takes a connection slot; false (nothing taken) when the sandbox already has <see cref="MaxConnections"/>.</summary>
    public bool TryOpenConnection()
    {
        if (Interlocked.Increment(ref _connections) <= MaxConnections) return true;
        Interlocked.Decrement(ref _connections);
        return false;
    }

    public void CloseConnection() => Interlocked.Decrement(ref _connections);

    /// <summary>A flood of refused connections is recorded once a second, not once each.</summary>
    public bool ShouldReportRefusedConnection()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastRefusalReport);
        return now - last >= 1000 && Interlocked.CompareExchange(ref _lastRefusalReport, now, last) == last;
    }
}

/// <summary>Sandboxes by source address: how the proxy and DNS know who is asking.</summary>
public sealed class EgressRegistry(Approvals.EgressApprovals? approvals = null)
{
    /// <summary>Requests held for a person; null only in tests that never ask.</summary>
    public Approvals.EgressApprovals? Approvals { get; } = approvals;

    private readonly ConcurrentDictionary<IPAddress, SandboxEgress> _byAddress = new();
    private readonly ConcurrentDictionary<string, IPAddress> _addressByName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SecretSubstitution> _secretsByName = new(StringComparer.Ordinal);
    private readonly Lock _secretsGate = new();

    public void Register(string name, IPAddress address, SandboxConfig config)
    {
        Unregister(name);
        var sandbox = new SandboxEgress(name, EgressPolicy.Compile(config)) { AskTimeout = config.AskTimeout };
        lock (_secretsGate)
        {
            sandbox.Secrets = _secretsByName.GetValueOrDefault(name) ?? SecretSubstitution.Empty;
            _byAddress[address] = sandbox;
            _addressByName[name] = address;
        }
    }

    /// <summary>The secret table of a sandbox (null: none), kept across stop and start; a running sandbox's next request uses it.</summary>
    public void SetSecrets(string name, SecretSubstitution? secrets)
    {
        lock (_secretsGate)
        {
            if (secrets is null) _secretsByName.TryRemove(name, out _);
            else _secretsByName[name] = secrets;
            if (_addressByName.TryGetValue(name, out var address) && _byAddress.TryGetValue(address, out var sandbox))
                sandbox.Secrets = secrets ?? SecretSubstitution.Empty;
        }
    }

    public void Update(string name, SandboxConfig config)
    {
        if (_addressByName.TryGetValue(name, out var address) && _byAddress.TryGetValue(address, out var sandbox))
        {
            sandbox.AskTimeout = config.AskTimeout;
            sandbox.Policy = EgressPolicy.Compile(config);
        }
    }

    public void Unregister(string name)
    {
        if (_addressByName.TryRemove(name, out var address)) _byAddress.TryRemove(address, out _);
        Approvals?.FailSandbox(name, $"sandbox {name} was stopped or removed");
    }

    public bool TryGet(IPAddress source, out SandboxEgress sandbox)
    {
        if (source.IsIPv4MappedToIPv6) source = source.MapToIPv4();
        return _byAddress.TryGetValue(source, out sandbox!);
    }
}
