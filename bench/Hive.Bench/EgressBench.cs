using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// Egress proxy benchmark (issues 3 and 17): the same loopback HTTPS upstream reached directly, through Hive (from inside
/// a sandbox's network namespace, so traffic takes the real steered path), and through mitmproxy as the peer
/// TLS-intercepting proxy, all in one run. Hive is measured from two sandboxes: one with no secret for the host, and one
/// with a secret bound to it, whose every request gets the secret injected and whose every response is scrubbed.
/// </summary>
public static class EgressBench
{
    /// <param name="only">all, rps (keep-alive, latency, new connections) or download (the 1 GB downloads).</param>
    public static async Task RunAsync(int seconds, int warmup, string only = "all")
    {
        await using var upstream = await TestUpstream.StartAsync();
        var caFile = Path.Combine(Path.GetTempPath(), $"hive-bench-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(caFile, upstream.CaPem);
        // HIVE_BENCH_DAEMON_ENV='NAME=VALUE,NAME=VALUE': environment for the daemon only (runtime settings such as
        // DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 to compare against a run without), leaving the upstream server as it is.
        var daemonEnv = (Environment.GetEnvironmentVariable("HIVE_BENCH_DAEMON_ENV") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");
        await using var daemon = await DaemonProcess.StartAsync(upstream: upstream.UpstreamSettings(caFile), withBaseImage: true, env: daemonEnv);
        using var hive = daemon.Connect();
        var value = "sk-live-" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 40);
        await hive.Secrets.CreateAsync(new SecretCreateOptions { Name = "bench-key", Value = value, Hosts = ["api.example.test"], Auth = SecretAuth.Header("X-Api-Key") });
        var egress = new List<EgressRule> { new() { Access = "allow", Host = "api.example.test" } };
        var plain = await hive.GetOrCreateSandboxAsync("bench-egress", new SandboxConfig { Image = "hive/base", Egress = egress });
        var scrubbed = await hive.GetOrCreateSandboxAsync("bench-egress-secret", new SandboxConfig
        {
            Image = "hive/base", Egress = egress, Secrets = new() { ["API_KEY"] = "bench-key" },
        });
        using var netns = await SandboxNetns.CreateAsync(daemon, plain, scrubbed);
        var (plainNs, secretNs) = (netns.Names[0], netns.Names[1]);
        var port = upstream.HttpsPort;
        var host = $"api.example.test:{port}";
        var viaHive = $"https://api.example.test:{port}/echo";
        var direct = $"https://127.0.0.1:{port}/echo";
        using var mitm = StartMitmproxy(port, out var mitmPort);
        using var bare = BareProxy.Start(port, out var barePort);
        var viaBare = $"https://127.0.0.1:{barePort}/echo";
        Console.CancelKeyPress += (_, _) => { mitm.Kill(); bare.Kill(); };
        try
        {
            Console.WriteLine($"egress: {seconds} s per run after {warmup} s of warm-up, upstream https on 127.0.0.1:{port}, {Environment.ProcessorCount} cores, " +
                              $"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine("  Hive: the sandbox has no secret for the host; Hive+secret: a secret is bound to it (injected, every response scrubbed)");
            Console.WriteLine("  bare: Kestrel (TLS) + YARP to the same upstream, set up as Hive's proxy is, with nothing of Hive's (no policy, events or secrets)");
            await Task.Delay(1500);
            if (only is "all" or "rps") await RequestsAsync();
            if (only is "all" or "download") await DownloadsAsync();
            Console.WriteLine($"{"daemon RSS after the runs",-40} {Rss(daemon.Pid):F1} MiB");
            var activity = await hive.Secrets.ActivityAsync("bench-key", new SecretActivityOptions { Limit = 1 });
            Console.WriteLine($"  (secret checked: last activity {activity.FirstOrDefault()?.Kind ?? "none"} {activity.FirstOrDefault()?.Status})");
        }
        finally
        {
            mitm.Kill();
            bare.Kill();
            await plain.DeleteAsync();
            await scrubbed.DeleteAsync();
            File.Delete(caFile);
        }

        async Task RequestsAsync()
        {
            // Warm all paths up first (JIT tiering, TLS session caches, pools): the figures are for a proxy in steady state.
            // 15 s by default: after 3 s under load the daemon still spent a fifth of its CPU samples in the tiering JIT
            // thread (4.7% after 15 s, `perf record`, 2026-11-22), which no long-running daemon pays per request.
            await Wrk.RunAsync(viaHive, 64, warmup, netns: plainNs);
            await Wrk.RunAsync(viaHive, 64, Math.Max(1, warmup / 3), netns: secretNs);
            await Wrk.RunAsync(direct, 64, warmup, host: host);
            await Wrk.RunAsync(viaBare, 64, warmup, host: host);
            var upstreamCpu = Cpu(Environment.ProcessId);
            var direct64 = await Wrk.RunAsync(direct, 64, seconds, host: host);
            upstreamCpu = Cpu(Environment.ProcessId) - upstreamCpu;
            var daemonCpu = Cpu(daemon.Pid);
            var writerCpu = ThreadCpu(daemon.Pid, "hive-event-writ");
            var profile = Profile(daemon.Pid, "hive");
            var hive64 = await Wrk.RunAsync(viaHive, 64, seconds, netns: plainNs);
            if (profile is not null) Console.WriteLine((await profile).Stdout);
            daemonCpu = Cpu(daemon.Pid) - daemonCpu;
            writerCpu = ThreadCpu(daemon.Pid, "hive-event-writ") - writerCpu;
            var secretCpu = Cpu(daemon.Pid);
            var secretWriterCpu = ThreadCpu(daemon.Pid, "hive-event-writ");
            var secret64 = await Wrk.RunAsync(viaHive, 64, seconds, netns: secretNs);
            secretCpu = Cpu(daemon.Pid) - secretCpu;
            secretWriterCpu = ThreadCpu(daemon.Pid, "hive-event-writ") - secretWriterCpu;
            var bareCpu = Cpu(bare.Id);
            profile = Profile(bare.Id, "bare");
            var bare64 = await Wrk.RunAsync(viaBare, 64, seconds, host: host);
            if (profile is not null) Console.WriteLine((await profile).Stdout);
            bareCpu = Cpu(bare.Id) - bareCpu;
            var mitm64 = await Wrk.RunAsync($"https://127.0.0.1:{mitmPort}/echo", 64, seconds, host: host);
            Row("keep-alive req/s, 64 connections", hive64.RequestsPerSecond, secret64.RequestsPerSecond, direct64.RequestsPerSecond, mitm64.RequestsPerSecond, "req/s");
            Check("  Hive / direct", hive64.RequestsPerSecond / direct64.RequestsPerSecond, ">= 0.60", hive64.RequestsPerSecond / direct64.RequestsPerSecond >= 0.6);
            Check("  Hive+secret / direct", secret64.RequestsPerSecond / direct64.RequestsPerSecond, ">= 0.60", secret64.RequestsPerSecond / direct64.RequestsPerSecond >= 0.6);
            Console.WriteLine($"  bare Kestrel+YARP {bare64.RequestsPerSecond:F0} req/s: {bare64.RequestsPerSecond / direct64.RequestsPerSecond:F2} of direct; Hive is {hive64.RequestsPerSecond / bare64.RequestsPerSecond:F2} of bare, Hive+secret {secret64.RequestsPerSecond / bare64.RequestsPerSecond:F2}");
            Check("  Hive / mitmproxy", hive64.RequestsPerSecond / mitm64.RequestsPerSecond, ">= 20", hive64.RequestsPerSecond / mitm64.RequestsPerSecond >= 20);
            Console.WriteLine($"  p99 latency at 64 connections: direct {direct64.P99Ms:F2} ms, Hive {hive64.P99Ms:F2} ms, Hive+secret {secret64.P99Ms:F2} ms, mitmproxy {mitm64.P99Ms:F2} ms");
            // CPU time per request moves far less with the machine's load than req/s does: the figure to compare builds by.
            var proxyUs = PerRequest(daemonCpu, hive64, seconds);
            var upstreamUs = PerRequest(upstreamCpu, direct64, seconds);
            Console.WriteLine($"  CPU per request: Hive daemon {proxyUs:F1} us (event writer thread {PerRequest(writerCpu, hive64, seconds):F1} us), " +
                              $"Hive+secret {PerRequest(secretCpu, secret64, seconds):F1} us (event writer {PerRequest(secretWriterCpu, secret64, seconds):F1} us), " +
                              $"upstream server (direct run) {upstreamUs:F1} us, ratio {proxyUs / upstreamUs:F2}; bare proxy {PerRequest(bareCpu, bare64, seconds):F1} us");

            var direct1 = await Wrk.RunAsync(direct, 1, seconds, host: host);
            var hive1 = await Wrk.RunAsync(viaHive, 1, seconds, netns: plainNs);
            var secret1 = await Wrk.RunAsync(viaHive, 1, seconds, netns: secretNs);
            var bare1 = await Wrk.RunAsync(viaBare, 1, seconds, host: host);
            var added = hive1.P50Ms - direct1.P50Ms;
            var addedSecret = secret1.P50Ms - direct1.P50Ms;
            Console.WriteLine($"{"added latency p50, 1 connection",-40} Hive {added:F3} ms   Hive+secret {addedSecret:F3} ms   (direct p50 {direct1.P50Ms:F3} ms; " +
                              $"p99 direct {direct1.P99Ms:F3}, Hive {hive1.P99Ms:F3}, Hive+secret {secret1.P99Ms:F3} ms)");
            Console.WriteLine($"  bare Kestrel+YARP adds {bare1.P50Ms - direct1.P50Ms:F3} ms at p50");
            Check("  added p50", added, "<= 0.2 ms", added <= 0.2);
            Check("  added p50, Hive+secret", addedSecret, "<= 0.2 ms", addedSecret <= 0.2);

            var directNew = await Wrk.RunAsync(direct, 16, seconds, host: host, close: true);
            var hiveNew = await Wrk.RunAsync(viaHive, 16, seconds, netns: plainNs, close: true);
            Row("new TLS connections/s, 16 at a time", hiveNew.RequestsPerSecond, double.NaN, directNew.RequestsPerSecond, double.NaN, "conn/s");
        }

        // HIVE_BENCH_PROFILE='perf record -g -p {pid} -o /tmp/perf-{arm}.data -- sleep {seconds}': a profiler attached to the
        // daemon ({arm} hive) and to the bare proxy ({arm} bare) for their keep-alive runs ({seconds} is one less than the run,
        // so it ends inside it). Set DOTNET_PerfMapEnabled=1 and DOTNET_EnableWriteXorExecute=0 in the environment (and in
        // HIVE_BENCH_DAEMON_ENV) for perf to name JIT-compiled methods.
        Task<ProcResult>? Profile(int pid, string arm) =>
            Environment.GetEnvironmentVariable("HIVE_BENCH_PROFILE") is { Length: > 0 } command
                ? Proc.RunAsync("bash", ["-c", command.Replace("{pid}", pid.ToString(CultureInfo.InvariantCulture)).Replace("{arm}", arm).Replace("{seconds}", $"{seconds - 1}")],
                    timeout: TimeSpan.FromSeconds(seconds + 60))
                : null;

        async Task DownloadsAsync()
        {
            var url = $"https://api.example.test:{port}/bytes?n=1073741824";
            var resolve = $"api.example.test:{port}:127.0.0.1";
            var bareUrl = $"https://api.example.test:{barePort}/bytes?n=1073741824";
            var bareResolve = $"api.example.test:{barePort}:127.0.0.1";
            foreach (var http1 in new[] { false, true })
            {
                // Interleaved rounds, medians: one download is a few seconds, and the machine's load moves it by tens of percent.
                List<Download> d = [], h = [], s = [], b = [];
                for (var round = 0; round < 3; round++)
                {
                    d.Add(await DownloadAsync(null, url, resolve, http1, daemon.Pid));
                    h.Add(await DownloadAsync(plainNs, url, null, http1, daemon.Pid));
                    s.Add(await DownloadAsync(secretNs, url, null, http1, daemon.Pid));
                    b.Add(await DownloadAsync(null, bareUrl, bareResolve, http1, bare.Id));
                }
                var what = http1 ? "1 GB download, HTTP/1.1" : "1 GB download (HTTP/2)";
                var (dm, hm, sm) = (Median(d.ConvertAll(x => x.MBps)), Median(h.ConvertAll(x => x.MBps)), Median(s.ConvertAll(x => x.MBps)));
                Row(what, hm, sm, dm, double.NaN, "MB/s");
                Console.WriteLine($"  runs: direct {Runs(d.ConvertAll(x => x.MBps))}, Hive {Runs(h.ConvertAll(x => x.MBps))}, Hive+secret {Runs(s.ConvertAll(x => x.MBps))}");
                // CPU seconds per GB (medians): the upstream server is this process, the proxy the daemon; curl's own is the same in every arm.
                Console.WriteLine($"  CPU s/GB: upstream direct {Median(d.ConvertAll(x => x.UpstreamCpu)):F2}, via Hive {Median(h.ConvertAll(x => x.UpstreamCpu)):F2}; " +
                                  $"daemon Hive {Median(h.ConvertAll(x => x.DaemonCpu)):F2}, Hive+secret {Median(s.ConvertAll(x => x.DaemonCpu)):F2}");
                var bm = Median(b.ConvertAll(x => x.MBps));
                Console.WriteLine($"  bare Kestrel+YARP {bm:F0} MB/s ({Runs(b.ConvertAll(x => x.MBps))}): {bm / dm:F2} of direct, CPU {Median(b.ConvertAll(x => x.DaemonCpu)):F2} s/GB; " +
                                  $"Hive is {hm / bm:F2} of bare");
                Check("  Hive / direct", hm / dm, ">= 0.80", hm / dm >= 0.8);
                Check("  Hive+secret / direct", sm / dm, ">= 0.80", sm / dm >= 0.8);
            }
        }
    }

    private sealed record Download(double MBps, double DaemonCpu, double UpstreamCpu);

    private static double PerRequest(TimeSpan cpu, WrkResult run, int seconds) => cpu.TotalMicroseconds / (run.RequestsPerSecond * seconds);

    private static async Task<Download> DownloadAsync(string? netns, string url, string? resolve, bool http1, int daemonPid)
    {
        var curl = new List<string> { "curl", "-sk", "-o", "/dev/null", "-w", "%{speed_download} %{size_download}" };
        if (http1) curl.Add("--http1.1");
        if (resolve is not null) curl.AddRange(["--resolve", resolve]);
        curl.Add(url);
        var (daemonCpu, upstreamCpu) = (Cpu(daemonPid), Cpu(Environment.ProcessId));
        var r = netns is null ? await Proc.RunAsync("curl", curl.Skip(1), timeout: TimeSpan.FromMinutes(5))
                              : await Proc.RunAsync("ip", ["netns", "exec", netns, .. curl], timeout: TimeSpan.FromMinutes(5));
        (daemonCpu, upstreamCpu) = (Cpu(daemonPid) - daemonCpu, Cpu(Environment.ProcessId) - upstreamCpu);
        var fields = r.Stdout.Trim().Split(' ');
        var gb = double.Parse(fields[1], CultureInfo.InvariantCulture) / 1e9;
        return new Download(double.Parse(fields[0], CultureInfo.InvariantCulture) / 1e6, daemonCpu.TotalSeconds / gb, upstreamCpu.TotalSeconds / gb);
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

    private static void Row(string what, double hive, double secret, double direct, double mitm, string unit) =>
        Console.WriteLine($"{what,-40} Hive {hive,8:F0} {unit}   Hive+secret {Figure(secret),8}   direct {direct,8:F0}   mitmproxy {Figure(mitm),8}");

    private static string Figure(double value) => double.IsNaN(value) ? "-" : value.ToString("F0", CultureInfo.InvariantCulture);

    private static string Runs(List<double> values) => string.Join(" ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void Check(string what, double value, string target, bool ok) =>
        Console.WriteLine($"{what,-40} {value,10:F2}   target {target}   {(ok ? "ok" : "MISSED")}");

    /// <summary>User + system CPU time the process has used so far (the bench process hosts the upstream).</summary>
    private static TimeSpan Cpu(int pid)
    {
        using var p = Process.GetProcessById(pid);
        return p.TotalProcessorTime;
    }

    /// <summary>User + system CPU time of the process's threads named <paramref name="comm"/> (as /proc shows it: 15 characters at most).</summary>
    private static TimeSpan ThreadCpu(int pid, string comm)
    {
        double ticks = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != comm) continue;
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields after "pid (comm) ": state is [0], utime [11], stime [12]
                ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException) { } // the thread ended meanwhile
        }
        return TimeSpan.FromSeconds(ticks / 100); // USER_HZ
    }

    private static double Rss(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:")).Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).First();
}
