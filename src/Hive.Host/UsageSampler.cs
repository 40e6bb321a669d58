using System.Collections.Concurrent;
using Hive.Host.Settings;
using Hive.Runtime.Host;
using Microsoft.Extensions.Logging;

namespace Hive.Host;

/// <summary>
/// Samples the cgroup of every running sandbox at a fixed interval into a bounded ring per sandbox. A stopped sandbox
/// keeps its samples (it is no longer read); a destroyed one loses them.
/// </summary>
public sealed class UsageSampler(Func<string, CgroupReading?> read, UsageSettings settings, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, UsageRing> _rings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);

    public UsageSettings Settings => settings;

    /// <summary>From now on the sandbox is read at every tick, starting with one reading at once.</summary>
    public void Track(string sandbox)
    {
        _running[sandbox] = 0;
        Sample(sandbox);
    }

    /// <summary>Stops reading the sandbox (it stopped); its samples stay.</summary>
    public void Pause(string sandbox) => _running.TryRemove(sandbox, out _);

    /// <summary>The sandbox is gone: so are its samples.</summary>
    public void Forget(string sandbox)
    {
        _running.TryRemove(sandbox, out _);
        _rings.TryRemove(sandbox, out _);
    }

    public UsageHistory History(string sandbox) =>
        new(settings.Interval, settings.Samples, _rings.TryGetValue(sandbox, out var ring) ? ring.Snapshot() : []);

    /// <summary>Reads every running sandbox once.</summary>
    public void SampleAll()
    {
        foreach (var name in _running.Keys) Sample(name);
    }

    private void Sample(string sandbox)
    {
        if (read(sandbox) is not { } reading) return;
        _rings.GetOrAdd(sandbox, _ => new UsageRing(settings.Samples)).Add(clock.GetUtcNow(), reading);
    }

    public async Task RunAsync(ILogger log, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(settings.Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try { SampleAll(); }
                catch (Exception e) { log.LogError(e, "usage sampling failed"); }
            }
        }
        catch (OperationCanceledException) { }
    }
}
