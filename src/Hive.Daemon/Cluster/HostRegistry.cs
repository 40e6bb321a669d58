using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Daemon.Events;
using Hive.Daemon.Store;
using Hive.Host.Abstractions.Cluster;
using Microsoft.Extensions.Logging;

namespace Hive.Daemon.Cluster;

/// <summary>What the controller answers a heartbeat with: the sandboxes the host runs that are not placed on it (deleted, or moved while it was away).</summary>
public sealed record HeartbeatAnswer(IReadOnlyList<string> Unknown);

/// <summary>
/// The controller's hosts, as their heartbeats describe them (kept in the store, so every controller sees every host).
/// A host that misses <see cref="MissedHeartbeats"/> heartbeats is <c>lost</c> and so are its running sandboxes (status
/// and a <c>sandbox.lost</c> event); when it heartbeats again, those it still runs are running again
/// (<c>sandbox.started</c>, reason "host returned") and the others stopped.
/// </summary>
public sealed class HostRegistry(IHiveStore store, EventBus events, TimeProvider time, TimeSpan interval, ILogger log)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _boots = new(StringComparer.Ordinal);

    public const int MissedHeartbeats = 3;

    /// <summary>A host's heartbeat carries a new boot id: its process restarted since this controller last heard from it.</summary>
    public event Action<string>? HostBooted;
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    /// <summary>How often hosts send heartbeats (<c>cluster.heartbeatSeconds</c>).</summary>
    public TimeSpan Interval { get; } = interval;

    /// <summary>A host whose last heartbeat is older than this is lost.</summary>
    public TimeSpan LostAfter => Interval * MissedHeartbeats;

    public IReadOnlyList<HostRecord> Hosts() => store.ListHosts();

    public HostRecord? Find(string name) => store.FindHost(name);

    /// <summary>Records a heartbeat; sandboxes lost with this host come back as what it says they are.</summary>
    public HeartbeatAnswer Heartbeat(string name, HostHeartbeat beat)
    {
        var before = store.FindHost(name);
        store.UpsertHost(new HostRecord(name, beat.Advertise, beat.Capacity, beat.Labels, time.GetUtcNow(), HostStatus.Live));
        if (before is null) log.LogInformation("host {Host} registered: {Advertise}, capacity {Capacity}, version {Version}", name, beat.Advertise, beat.Capacity, beat.Version);
        else if (before.Status == HostStatus.Lost) log.LogWarning("host {Host} is back after {Seconds:0} s without heartbeats", name, (time.GetUtcNow() - before.LastSeen).TotalSeconds);
        if (beat.Boot is { } boot && _boots.TryGetValue(name, out var last) && last != boot)
        {
            log.LogInformation("host {Host} restarted", name);
            HostBooted?.Invoke(name);
        }
        if (beat.Boot is not null) _boots[name] = beat.Boot;
        var running = beat.Running.ToHashSet(StringComparer.Ordinal);
        var placed = store.ListSandboxesOnHost(name);
        foreach (var s in placed.Where(s => s.Status == SandboxStatus.Lost))
        {
            if (running.Contains(s.Name))
            {
                store.UpdateSandbox(s.Name, SandboxStatus.Running);
                events.Append(s.Name, EventTypes.SandboxStarted, new JsonObject { ["image"] = s.Config.Image, ["host"] = name, ["reason"] = "host returned" });
            }
            else
            {
                store.UpdateSandbox(s.Name, SandboxStatus.Stopped);
                events.Append(s.Name, EventTypes.SandboxStopped, new JsonObject { ["image"] = s.Config.Image, ["host"] = name, ["reason"] = "not running when its host returned" });
            }
        }
        var known = placed.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return new HeartbeatAnswer([.. beat.Running.Where(r => !known.Contains(r))]);
    }

    /// <summary>Marks hosts lost whose last heartbeat is older than <see cref="LostAfter"/> (the leader's job). Returns their names.</summary>
    public IReadOnlyList<string> DetectLost()
    {
        var cutoff = time.GetUtcNow() - LostAfter;
        var lost = new List<string>();
        foreach (var h in store.ListHosts())
        {
            if (h.Status != HostStatus.Live || h.LastSeen >= cutoff) continue;
            // Conditional on the time read: a heartbeat stored meanwhile keeps the host live.
            if (!store.SetHostStatus(h.Name, HostStatus.Lost, seenBefore: cutoff)) continue;
            lost.Add(h.Name);
            var reason = $"host \"{h.Name}\" sent no heartbeat for {LostAfter.TotalSeconds:0} s";
            log.LogWarning("host {Host} is lost: no heartbeat since {LastSeen:O}", h.Name, h.LastSeen);
            foreach (var s in store.ListSandboxesOnHost(h.Name).Where(s => s.Status == SandboxStatus.Running))
            {
                store.UpdateSandbox(s.Name, SandboxStatus.Lost, reason);
                events.Append(s.Name, EventTypes.SandboxLost, new JsonObject { ["image"] = s.Config.Image, ["host"] = h.Name, ["reason"] = reason });
            }
        }
        return lost;
    }

    /// <summary>
    /// Checks for lost hosts once per heartbeat interval while this controller leads, from <see cref="LostAfter"/> after
    /// it began to lead: hosts that could not reach any controller meanwhile (this one just started) get their chance
    /// to heartbeat before they are judged.
    /// </summary>
    public async Task RunAsync(ILeaderLease lease, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, time);
        DateTimeOffset? leadingSince = null;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (!lease.IsLeader)
                {
                    leadingSince = null;
                    continue;
                }
                leadingSince ??= time.GetUtcNow();
                if (time.GetUtcNow() - leadingSince < LostAfter) continue;
                try { DetectLost(); }
                catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "lost-host check failed"); }
            }
        }
        catch (OperationCanceledException) { }
    }
}
