using System.Collections.Concurrent;
using Hive.Host.Abstractions.Wire;

namespace Hive.Host.Remote;

/// <summary>
/// The configs the controller sent, by sandbox: a config that comes again unchanged (every exec sends it) is not parsed
/// again, and the ingress forwarder, whose requests carry no config, finds the sandbox's last one.
/// </summary>
internal sealed class HostedConfigs
{
    private readonly ConcurrentDictionary<string, (string Json, HostedSandbox Sandbox)> _seen = new(StringComparer.Ordinal);

    public HostedSandbox Hosted(string name, string json)
    {
        if (_seen.TryGetValue(name, out var known) && string.Equals(known.Json, json, StringComparison.Ordinal)) return known.Sandbox;
        var sandbox = new HostedSandbox(name, ConfigWire.Read(json, name));
        _seen[name] = (json, sandbox);
        return sandbox;
    }

    public HostedSandbox? Find(string name) => _seen.TryGetValue(name, out var known) ? known.Sandbox : null;

    public void Forget(string name) => _seen.TryRemove(name, out _);
}
