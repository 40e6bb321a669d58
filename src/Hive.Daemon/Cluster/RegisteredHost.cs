using Hive.Daemon.Store;

namespace Hive.Daemon.Cluster;

/// <summary>A host the controller can reach: what the factory of its <see cref="ISandboxHost"/> client needs.</summary>
public sealed record RegisteredHost(string Name, Uri Advertise, int Capacity, IReadOnlyDictionary<string, string> Labels)
{
    public static RegisteredHost From(HostRecord h) => new(h.Name, h.Advertise, h.Capacity, h.Labels);
}
