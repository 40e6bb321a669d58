using Hive.Core.Config;
using Hive.Daemon.Store;

namespace Hive.Daemon.Cluster;

/// <summary>
/// Where a new sandbox goes (pure): the live host with the most free capacity (capacity less the sandboxes placed on
/// it) whose labels carry every required label; ties go to the host named first, so that a placement is reproducible.
/// </summary>
public static class Scheduler
{
    /// <summary>The chosen host; a <see cref="HostException"/> (503) saying why none fits otherwise.</summary>
    public static HostRecord Pick(IReadOnlyList<HostRecord> hosts, IReadOnlyDictionary<string, int> placed,
        IReadOnlyDictionary<string, string>? required = null, IReadOnlySet<string>? exclude = null)
    {
        required ??= new Dictionary<string, string>();
        var live = hosts.Where(h => h.Status == HostStatus.Live && exclude?.Contains(h.Name) != true).ToList();
        if (live.Count == 0)
            throw Unavailable(hosts.Count == 0
                ? "no sandbox host has registered with this controller yet (hosts send heartbeats to cluster.controller)"
                : $"no sandbox host is live: {string.Join(", ", hosts.Select(h => $"{h.Name} ({h.Status})"))}");
        var matching = live.Where(h => required.All(r => h.Labels.TryGetValue(r.Key, out var v) && v == r.Value)).ToList();
        if (matching.Count == 0)
            throw Unavailable($"no live host has the labels {string.Join(", ", required.Select(r => $"{r.Key}={r.Value}"))}");
        var best = matching
            .Select(h => (Host: h, Free: h.Capacity - placed.GetValueOrDefault(h.Name)))
            .OrderByDescending(x => x.Free).ThenBy(x => x.Host.Name, StringComparer.Ordinal)
            .First();
        if (best.Free <= 0)
            throw Unavailable($"every live host is full: {string.Join(", ", matching.Select(h => $"{h.Name} {placed.GetValueOrDefault(h.Name)}/{h.Capacity}"))}; " +
                              "delete sandboxes or add hosts");
        return best.Host;
    }

    /// <summary>A sandbox with a <c>local</c> volume keeps its files on its host: once placed, it stays there.</summary>
    public static bool IsPinned(SandboxConfig config) => config.Fs.Any(m => m.Backend == FsBackend.Local);

    private static HostException Unavailable(string message) => new(HostErrorKind.Unavailable, "No host available", message);
}
