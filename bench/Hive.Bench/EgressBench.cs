using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// Egress proxy benchmark (issue 3): the same loopback HTTPS upstream reached directly, through Hive
/// (from inside a sandbox's network namespace, so traffic takes the real steered path), and through
/// mitmproxy as the peer TLS-intercepting proxy, all in one run.
/// </summary>
public static class EgressBench
{
    public static async Task RunAsync(int seconds, int warmup)
    {
        await using var upstream = await TestUpstream.StartAsync();
        var caFile = Path.Combine(Path.GetTempPath(), $"hive-bench-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(caFile, upstream.CaPem);
        await using var daemon = await DaemonProcess.StartAsync(upstream: upstream.UpstreamSettings(caFile), withBaseImage: true);
        using var hive = daemon.Connect();
        var sandbox = await hive.GetOrCreateSandboxAsync("bench-egress", new SandboxConfig
        {
            Image = "hive/base",
            Egress = [new EgressRule { Access = "allow", Host = "api.example.test" }],
        });
        var synthetic = (await sandbox.ExecAsync("getent hosts api.example.test | cut -d' ' -f1")).Stdout.Trim();
        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(daemon.Home))))[..6];
        var netns = $"hive-{tag}-0";
        // `ip netns exec` reads /etc/netns/NAME/hosts as /etc/hosts: the client resolves the name as the sandbox would.
        var netnsEtc = Path.Combine("/etc/netns", netns);
        Directory.CreateDirectory(netnsEtc);
        await File.WriteAllTextAsync(Path.Combine(netnsEtc, "hosts"), $"{synthetic} api.example.test\n");
        var port = upstream.HttpsPort;
        var host = $"api.example.test:{port}";
        using var mitm = StartMitmproxy(port, out var mitmPort);
        Console.CancelKeyPress += (_, _) => mitm.Kill();
        try
        {
            Console.WriteLine($"egress: {seconds} s per run after {warmup} s of warm-up, upstream https on 127.0.0.1:{port}, sandbox sees api.example.test as {synthetic}");
            await Task.Delay(1500);
            // Warm both paths up first (JIT tiering, TLS session caches, pools): the figures are for a proxy in steady state.
            // 15 s by default: after 3 s under load the daemon still spent a fifth of its CPU samples in the tiering JIT
            // thread (4.7% after 15 s, `perf record`, 2026-11-22), which no long-running daemon pays per request.
            await Wrk.RunAsync($"https://api.example.test:{port}/echo", 64, warmup, netns: netns);
            await Wrk.RunAsync($"https://127.0.0.1:{port}/echo", 64, warmup, host: host);
            var upstreamCpu = Cpu(Environment.ProcessId);
            var direct64 = await Wrk.RunAsync($"https://127.0.0.1:{port}/echo", 64, seconds, host: host);
            upstreamCpu = Cpu(Environment.ProcessId) - upstreamCpu;
            var daemonCpu = Cpu(daemon.Pid);
            // HIVE_BENCH_PROFILE='perf record -g -p {pid} -o FILE -- sleep {seconds}': a profiler attached to the daemon for
            // this run ({seconds} is one less than the run, so it ends inside it). Set DOTNET_PerfMapEnabled=1 and
            // DOTNET_EnableWriteXorExecute=0 in the environment for perf to name JIT-compiled methods.
            var profile = Environment.GetEnvironmentVariable("HIVE_BENCH_PROFILE") is { Length: > 0 } command
                ? Proc.RunAsync("bash", ["-c", command.Replace("{pid}", daemon.Pid.ToString(CultureInfo.InvariantCulture)).Replace("{seconds}", $"{seconds - 1}")],
                    timeout: TimeSpan.FromSeconds(seconds + 60))
                : null;
            var hive64 = await Wrk.RunAsync($"https://api.example.test:{port}/echo", 64, seconds, netns: netns);
            if (profile is not null) Console.WriteLine((await profile).Stdout);
            daemonCpu = Cpu(daemon.Pid) - daemonCpu;
            var mitm64 = await Wrk.RunAsync($"https://127.0.0.1:{mitmPort}/echo", 64, seconds, host: host);
            Row("keep-alive req/s, 64 connections", hive64.RequestsPerSecond, direct64.RequestsPerSecond, mitm64.RequestsPerSecond, "req/s");
            Check("  Hive / direct", hive64.RequestsPerSecond / direct64.RequestsPerSecond, ">= 0.50", hive64.RequestsPerSecond / direct64.RequestsPerSecond >= 0.5);
            Check("  Hive / mitmproxy", hive64.RequestsPerSecond / mitm64.RequestsPerSecond, ">= 20", hive64.RequestsPerSecond / mitm64.RequestsPerSecond >= 20);
            Console.WriteLine($"  p99 latency at 64 connections: direct {direct64.P99Ms:F2} ms, Hive {hive64.P99Ms:F2} ms, mitmproxy {mitm64.P99Ms:F2} ms");
            // CPU time per request moves far less with the machine's load than req/s does: the figure to compare builds by.
            var proxyUs = daemonCpu.TotalMicroseconds / (hive64.RequestsPerSecond * seconds);
            var upstreamUs = upstreamCpu.TotalMicroseconds / (direct64.RequestsPerSecond * seconds);
            Console.WriteLine($"  CPU per request: Hive daemon {proxyUs:F1} us, upstream server (direct run) {upstreamUs:F1} us, ratio {proxyUs / upstreamUs:F2}");

            var direct1 = await Wrk.RunAsync($"https://127.0.0.1:{port}/echo", 1, seconds, host: host);
            var hive1 = await Wrk.RunAsync($"https://api.example.test:{port}/echo", 1, seconds, netns: netns);
            var added = hive1.P50Ms - direct1.P50Ms;
            Console.WriteLine($"{"added latency p50 / p99, 1 connection",-40} {added:F3} ms / {hive1.P99Ms - direct1.P99Ms:F3} ms   (direct p50 {direct1.P50Ms:F3} ms)");
            Check("  added p50", added, "<= 0.3 ms", added <= 0.3);

            var directNew = await Wrk.RunAsync($"https://127.0.0.1:{port}/echo", 16, seconds, host: host, close: true);
            var hiveNew = await Wrk.RunAsync($"https://api.example.test:{port}/echo", 16, seconds, netns: netns, close: true);
            Row("new TLS connections/s, 16 at a time", hiveNew.RequestsPerSecond, directNew.RequestsPerSecond, double.NaN, "conn/s");

            var directMBs = await DownloadAsync(null, $"https://api.example.test:{port}/bytes?n=1073741824", $"api.example.test:{port}:127.0.0.1");
            var hiveMBs = await DownloadAsync(netns, $"https://api.example.test:{port}/bytes?n=1073741824", null);
            Row("1 GB download", hiveMBs, directMBs, double.NaN, "MB/s");
            Check("  Hive throughput", hiveMBs / 1000, ">= 1 GB/s", hiveMBs >= 1000);
            var directH1 = await DownloadAsync(null, $"https://api.example.test:{port}/bytes?n=1073741824", $"api.example.test:{port}:127.0.0.1", http1: true);
            var hiveH1 = await DownloadAsync(netns, $"https://api.example.test:{port}/bytes?n=1073741824", null, http1: true);
            Row("1 GB download, HTTP/1.1", hiveH1, directH1, double.NaN, "MB/s");
            Console.WriteLine($"{"daemon RSS after the runs",-40} {Rss(daemon.Pid):F1} MiB");
        }
        finally
        {
            mitm.Kill();
            Directory.Delete(netnsEtc, recursive: true);
            await sandbox.DeleteAsync();
            File.Delete(caFile);
        }
    }

    private static async Task<double> DownloadAsync(string? netns, string url, string? resolve, bool http1 = false)
    {
        var curl = new List<string> { "curl", "-sk", "-o", "/dev/null", "-w", "%{speed_download}" };
        if (http1) curl.Add("--http1.1");
        if (resolve is not null) curl.AddRange(["--resolve", resolve]);
        curl.Add(url);
        var r = netns is null ? await Proc.RunAsync("curl", curl.Skip(1), timeout: TimeSpan.FromMinutes(5))
                              : await Proc.RunAsync("ip", ["netns", "exec", netns, .. curl], timeout: TimeSpan.FromMinutes(5));
        return double.Parse(r.Stdout.Trim(), CultureInfo.InvariantCulture) / 1e6;
    }

    private static Process StartMitmproxy(int upstreamPort, out int port)
    {
        port = FreePort();
        var psi = new ProcessStartInfo("mitmdump") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "--mode", $"reverse:https://127.0.0.1:{upstreamPort}", "--listen-host", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
                     "--ssl-insecure", "--set", "keep_host_header=true", "--set", "connection_strategy=lazy" })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("mitmdump did not start (apt-get install mitmproxy)");
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static void Row(string what, double hive, double direct, double mitm, string unit) =>
        Console.WriteLine($"{what,-40} Hive {hive,10:F0} {unit}   direct {direct,10:F0}   mitmproxy {(double.IsNaN(mitm) ? "-" : mitm.ToString("F0", CultureInfo.InvariantCulture)),8}");

    private static void Check(string what, double value, string target, bool ok) =>
        Console.WriteLine($"{what,-40} {value,10:F2}   target {target}   {(ok ? "ok" : "MISSED")}");

    /// <summary>User + system CPU time the process has used so far (the bench process hosts the upstream).</summary>
    private static TimeSpan Cpu(int pid)
    {
        using var p = Process.GetProcessById(pid);
        return p.TotalProcessorTime;
    }

    private static double Rss(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:")).Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).First();
}
