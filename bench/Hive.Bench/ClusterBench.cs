using System.Diagnostics;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// Cluster mode (issue 14): creates through a controller with two hosts (separate processes, PostgreSQL) against the
/// single daemon, in one run; the controller's CPU and memory per 100 sandboxes.
/// </summary>
internal static class ClusterBench
{
    public static async Task RunAsync(int runs)
    {
        await using var rig = await ClusterRig.StartAsync(hosts: 2);
        await using var single = await DaemonProcess.StartAsync();
        using var viaController = rig.Connect();
        using var direct = single.Connect();
        var config = new SandboxConfig { Image = "hive/minimal" };
        Console.WriteLine($"hive bench cluster: {runs} creates each, 1 controller + 2 hosts on PostgreSQL vs the single daemon, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");

        // 1. Create -> running, one at a time, interleaved so that noise hits both.
        var cluster = new List<double>();
        var alone = new List<double>();
        for (var i = 0; i < runs + 2; i++)
        {
            var c = await TimeCreateAsync(viaController, $"cb-{i}", config);
            var a = await TimeCreateAsync(direct, $"sb-{i}", config);
            if (i < 2) continue;
            cluster.Add(c);
            alone.Add(a);
        }
        Report("create p50", Stats.Percentile(cluster, 50), Stats.Percentile(alone, 50));
        Report("create p95", Stats.Percentile(cluster, 95), Stats.Percentile(alone, 95));

        // 2. Creates per second with 8 in flight.
        var clusterRate = await RateAsync(viaController, "cr", config, runs);
        var aloneRate = await RateAsync(direct, "sr", config, runs);
        Console.WriteLine($"{"creates/s, 8 in flight",-34} {clusterRate,8:F1} /s   single daemon {aloneRate,7:F1} /s   ratio {clusterRate / aloneRate:F2}x");

        // 3. The controller's CPU and memory for 100 sandboxes (they run on the hosts).
        var pid = rig.Controller.Pid;
        await Task.Delay(2000);
        var (rssIdle, cpuIdle) = (RssMiB(pid), CpuSeconds(pid));
        var names = Enumerable.Range(0, 100).Select(i => $"c100-{i}").ToList();
        using (var gate = new SemaphoreSlim(8))
            await Task.WhenAll(names.Select(async n => { await gate.WaitAsync(); try { await viaController.GetOrCreateSandboxAsync(n, config); } finally { gate.Release(); } }));
        var cpuCreates = CpuSeconds(pid) - cpuIdle;
        await Task.Delay(10_000);
        var rssLoaded = RssMiB(pid);
        var cpuQuiet = (CpuSeconds(pid) - cpuIdle - cpuCreates) / 10;
        Console.WriteLine($"{"controller RSS idle -> 100 sandboxes",-34} {rssIdle,8:F1} -> {rssLoaded:F1} MiB   {(rssLoaded - rssIdle) / 100:F2} MiB per sandbox");
        Console.WriteLine($"{"controller CPU for 100 creates",-34} {cpuCreates,8:F2} s   then {cpuQuiet * 100:F1}% of a core with 100 running (heartbeats, lost checks)");
        using (var gate = new SemaphoreSlim(8))
            await Task.WhenAll(names.Select(async n => { await gate.WaitAsync(); try { await viaController.DeleteSandboxAsync(n); } finally { gate.Release(); } }));
    }

    private static async Task<double> TimeCreateAsync(HiveConnection hive, string name, SandboxConfig config)
    {
        var clock = Stopwatch.StartNew();
        var sb = await hive.GetOrCreateSandboxAsync(name, config);
        var ms = clock.Elapsed.TotalMilliseconds;
        await sb.DeleteAsync();
        return ms;
    }

    private static async Task<double> RateAsync(HiveConnection hive, string prefix, SandboxConfig config, int count)
    {
        var names = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        using var gate = new SemaphoreSlim(8);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(names.Select(async n => { await gate.WaitAsync(); try { await hive.GetOrCreateSandboxAsync(n, config); } finally { gate.Release(); } }));
        var rate = count / clock.Elapsed.TotalSeconds;
        await Task.WhenAll(names.Select(async n => { await gate.WaitAsync(); try { await hive.DeleteSandboxAsync(n); } finally { gate.Release(); } }));
        return rate;
    }

    private static void Report(string what, double clusterMs, double aloneMs) =>
        Console.WriteLine($"{what,-34} {clusterMs,8:F1} ms   single daemon {aloneMs,7:F1} ms   ratio {clusterMs / aloneMs:F2}x");

    private static double RssMiB(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:")).Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024).First();

    /// <summary>utime + stime of the process, in seconds (clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }
}
