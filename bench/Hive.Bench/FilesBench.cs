using System.Diagnostics;
using System.Globalization;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// File system benchmark (issue 4): one workload, in one run, interleaved, on a native directory, through Hive's
/// mediating FUSE file system as the daemon serves it to a sandbox (the workload runs on the host against the
/// sandbox's mount anchor, so no exec round trip is timed), and through libfuse's passthrough_hp example built from
/// Debian's fuse3 source package (scripts/build-passthrough-hp.sh), with its default caching and with --nocache.
/// All directories are on the same host file system; every workload runs as root.
/// </summary>
public static class FilesBench
{
    /// <summary>Where the workload runs (<paramref name="Dir"/>) and where that file system keeps its data.</summary>
    private sealed record Target(string Name, string Dir, string Backing);

    public static async Task RunAsync(int runs, string only)
    {
        var passthroughHp = Environment.GetEnvironmentVariable("HIVE_PASSTHROUGH_HP") ?? "/var/cache/hive-bench/passthrough_hp";
        // The peer is optional (it needs libfuse3-dev and Debian's source package): without it its columns say so.
        var withHp = File.Exists(passthroughHp);
        if (!withHp) Console.WriteLine($"files: {passthroughHp} is missing (scripts/build-passthrough-hp.sh, run by make bench, builds it): measured without passthrough_hp");
        // The same daemon twice: its FUSE mounts served through /dev/fuse, and over io_uring (daemon.json files.ioUring).
        await using var daemon = await DaemonProcess.StartAsync();
        await using var uringDaemon = await DaemonProcess.StartAsync(extraSettings: "\"files\": { \"ioUring\": true }");
        using var hive = daemon.Connect();
        using var uringHive = uringDaemon.Connect();
        var volume = "bench-files";
        var config = new SandboxConfig
        {
            Image = "hive/minimal",
            Fs = [new FsMount { Backend = "local", Mount = "/workspace", Volume = volume, Acls = [new AclRule { Path = "/workspace/**", Access = "rw" }] }],
        };
        var sandbox = await hive.GetOrCreateSandboxAsync("bench-files", config);
        var uringSandbox = await uringHive.GetOrCreateSandboxAsync("bench-files", config);
        // Evidence that the second daemon really serves over io_uring: its ring threads (one per entry).
        var rings = Directory.GetDirectories($"/proc/{uringDaemon.Pid}/task")
            .Count(t => File.ReadAllText(Path.Combine(t, "comm")).StartsWith("hive-fuse-ring", StringComparison.Ordinal));
        Console.WriteLine($"files: the io_uring daemon has {rings} ring thread(s), enable_uring={File.ReadAllText("/sys/module/fuse/parameters/enable_uring").Trim()}");
        var work = Directory.CreateTempSubdirectory("hive-bench-files-").FullName;
        var hp = new List<(Process Process, string Mount)>();
        try
        {
            var native = Path.Combine(work, "native");
            Directory.CreateDirectory(native);
            var targets = new List<Target>
            {
                new("native", native, native),
                new("Hive", Path.Combine(daemon.Home, "sandboxes", "bench-files", "mnt", "0"), Path.Combine(daemon.Home, "volumes", volume)),
                new("Hive io_uring", Path.Combine(uringDaemon.Home, "sandboxes", "bench-files", "mnt", "0"), Path.Combine(uringDaemon.Home, "volumes", volume)),
            };
            foreach (var (name, args) in withHp ? new[] { ("passthrough_hp", ""), ("passthrough_hp --nocache", "--nocache") } : [])
            {
                var source = Path.Combine(work, $"hp{hp.Count}-src");
                var mount = Path.Combine(work, $"hp{hp.Count}-mnt");
                Directory.CreateDirectory(source);
                Directory.CreateDirectory(mount);
                hp.Add((StartPassthroughHp(passthroughHp, args, source, mount), mount));
                targets.Add(new(name, mount, source));
            }
            await WaitMountedAsync(hp.Select(h => h.Mount));
            Console.WriteLine($"files: {runs} runs per workload (median), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}, kernel {Environment.OSVersion.Version}");
            Console.WriteLine($"{"workload",-44} {string.Join(" ", targets.Select(t => $"{t.Name,16}"))}   Hive/native   io_uring/native   target   io_uring/passthrough_hp");

            if (only is "all" or "seq")
            {
                var write = Measure(targets, runs, t => Dd($"if=/dev/zero of='{t.Dir}/big' bs=1M count=1024 conv=fsync"));
                Row("sequential write 1 GiB (MB/s)", targets, write, 1024 * 1.048576, 0.8, higherIsBetter: true);
                var read = Measure(targets, runs, t => { Command.DropCaches(); return Dd($"if='{t.Dir}/big' of=/dev/null bs=1M"); });
                Row("sequential read 1 GiB, cold (MB/s)", targets, read, 1024 * 1.048576, 0.8, higherIsBetter: true);
                var warm = Measure(targets, runs, t => Dd($"if='{t.Dir}/big' of=/dev/null bs=1M"));
                Row("sequential read 1 GiB, warm (MB/s)", targets, warm, 1024 * 1.048576, 0.8, higherIsBetter: true);
                var random = Measure(targets, runs, t => Python(RandomReads, t.Dir));
                Row("20,000 random 4 KiB reads (ms)", targets, random, 0, 0.6, higherIsBetter: false);
                foreach (var t in targets) File.Delete(Path.Combine(t.Dir, "big"));
            }
            if (only is "all" or "small")
            {
                var small = Measure(targets, runs, t => Python(SmallFiles, t.Dir));
                Row("10,000 x create+write+close+stat+unlink (ms)", targets, small, 0, 0.3, higherIsBetter: false);
            }
            if (only is "all" or "git")
            {
                // The same tree is made in each file system's own storage (how it got there is not what is measured).
                foreach (var t in targets) Sh(MakeRepo, t.Backing);
                // The first status through each file system refreshes the index (its stat data differs from the storage's).
                foreach (var t in targets)
                    try { Sh("cd \"$1/repo\" && git status --porcelain > /dev/null && git status --porcelain > /dev/null", t.Dir); }
                    catch (InvalidOperationException) { } // reported by the measured runs
                const string gitStatus = "cd \"$1/repo\" && out=$(git status --porcelain) && test -z \"$out\"";
                var status = Measure(targets, runs, t => Sh(gitStatus, t.Dir));
                Row("git status, 20,000 files (ms)", targets, status, 0, 0.3, higherIsBetter: false);
                // The same after the kernel's entry and attribute timeouts (1 s) have passed since the last status: every
                // path is revalidated (what an agent sees running git status now and then rather than in a loop).
                var expired = Measure(targets, runs, t => { Thread.Sleep(1500); return Sh(gitStatus, t.Dir); });
                Row("git status, caches expired (ms)", targets, expired, 0, 0.3, higherIsBetter: false);
                GitCosts(targets, [(daemon.Pid, 1), (uringDaemon.Pid, 2)], gitStatus);
            }
        }
        finally
        {
            foreach (var (process, mount) in hp)
            {
                _ = Native.Kill(process.Id, 15);
                if (!process.WaitForExit(5000)) process.Kill();
                await Proc.RunAsync("umount", ["-l", mount]);
            }
            await sandbox.DeleteAsync();
            await uringSandbox.DeleteAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Where a git status's time goes on each FUSE target: the requests the kernel sent (by opcode, from its tracepoint),
    /// the daemon's CPU time and git's, one status right after another (caches warm) and one after the timeouts.
    /// </summary>
    private static void GitCosts(List<Target> targets, (int Pid, int Target)[] daemons, string gitStatus)
    {
        var devices = daemons.ToDictionary(d => d.Target, d => MountDevice(targets[d.Target].Dir));
        using var counts = FuseRequestCounts.Start(devices.Values, out var why);
        if (counts is null) Console.WriteLine($"  requests not counted: {why}");
        foreach (var (pid, t) in daemons)
            foreach (var (label, pause) in new[] { ("warm", 0), ("expired", 1500) })
            {
                var daemonCpu = 0.0;
                var gitCpu = 0.0;
                var requests = new SortedDictionary<string, int>(StringComparer.Ordinal);
                const int rounds = 3;
                for (var i = 0; i < rounds; i++)
                {
                    Sh(gitStatus, targets[t].Dir);
                    Thread.Sleep(pause);
                    counts?.Take();
                    var before = ThreadCpu(pid);
                    var output = Run("/bin/sh", ["-c", gitStatus + " && times", "sh", targets[t].Dir]);
                    daemonCpu += CpuSeconds(before, ThreadCpu(pid));
                    gitCpu += ChildCpuSeconds(output);
                    foreach (var (op, n) in counts?.Take().GetValueOrDefault(devices[t]) ?? [])
                        requests[op] = requests.GetValueOrDefault(op) + n;
                }
                var perRun = string.Join(", ", requests.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value / (double)rounds:0.#}"));
                Console.WriteLine($"  {targets[t].Name}, {label}: daemon CPU {daemonCpu / rounds * 1000:F1} ms, git CPU {gitCpu / rounds * 1000:F1} ms, " +
                    $"requests {(counts is null ? "not counted" : $"{requests.Values.Sum() / (double)rounds:0.#} ({perRun})")}");
            }
    }

    /// <summary>The kernel's device number of the mount at <paramref name="dir"/> (FUSE names its connection by it).</summary>
    private static ulong MountDevice(string dir)
    {
        ulong device = 0;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5 || fields[4] != dir) continue;
            var parts = fields[2].Split(':');
            device = (ulong.Parse(parts[0], CultureInfo.InvariantCulture) << 20) | ulong.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        return device;
    }

    /// <summary>CPU time of each thread of a process so far, in nanoseconds (schedstat: time on the CPU), by thread id.</summary>
    private static Dictionary<string, long> ThreadCpu(int pid)
    {
        var threads = new Dictionary<string, long>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
            try { threads[Path.GetFileName(task)] = long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture); }
            catch (IOException) { } // a thread that ended meanwhile
        return threads;
    }

    /// <summary>
    /// Seconds on the CPU between two <see cref="ThreadCpu"/> readings: what each thread alive at the end did since the
    /// first (all of it for a thread started meanwhile). A thread that ended in between is not counted (the process
    /// totals in /proc/PID/stat would count it, but only in 10 ms ticks).
    /// </summary>
    private static double CpuSeconds(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.Sum(t => t.Value - before.GetValueOrDefault(t.Key)) / 1e9;

    /// <summary>The children's user and system time from the last line of the shell's <c>times</c> (e.g. <c>0m0.031000s 0m0.080000s</c>).</summary>
    private static double ChildCpuSeconds(string timesOutput)
    {
        var line = timesOutput.TrimEnd().Split('\n')[^1];
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Sum(part =>
        {
            var m = part.IndexOf('m');
            return double.Parse(part[..m], CultureInfo.InvariantCulture) * 60 + double.Parse(part[(m + 1)..^1], CultureInfo.InvariantCulture);
        });
    }

    private const string RandomReads = """
import os, sys, random, time
fd = os.open(os.path.join(sys.argv[1], 'big'), os.O_RDONLY); size = os.fstat(fd).st_size
rnd = random.Random(42); offsets = [rnd.randrange(0, size // 4096) * 4096 for _ in range(20000)]
for o in offsets[:2000]: os.pread(fd, 4096, o)
t = time.perf_counter()
for o in offsets: os.pread(fd, 4096, o)
print((time.perf_counter() - t) * 1000)
""";

    private const string SmallFiles = """
import os, sys, time
os.chdir(sys.argv[1]); os.makedirs('small', exist_ok=True); os.chdir('small')
data = b'x' * 100
t = time.perf_counter()
for i in range(10000):
    n = 's%d' % i
    fd = os.open(n, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644); os.write(fd, data); os.close(fd)
    os.stat(n); os.unlink(n)
print((time.perf_counter() - t) * 1000)
""";

    // 20,000 files in 200 directories, committed; the same tree under every target.
    private const string MakeRepo = """
set -e
cd "$1"; rm -rf repo; mkdir repo; cd repo; git init -q; git config user.email b@example.test; git config user.name bench; git config gc.auto 0
python3 -c '
import os
for d in range(200):
    os.makedirs("src/d%03d" % d)
    for f in range(100):
        with open("src/d%03d/f%03d.txt" % (d, f), "w") as fh: fh.write("file %d %d\n" % (d, f))
'
git add -A; git commit -qm tree
# Packed now, as a cloned repository is, rather than by the automatic gc the commit would start in the background, which
# would go on changing the storage behind the file system's back while the first statuses run.
git gc -q
""";

    /// <summary>Runs <paramref name="once"/> per target, interleaved; a target whose run fails gets NaN (and its error printed once).</summary>
    private static List<double>[] Measure(List<Target> targets, int runs, Func<Target, double> once)
    {
        var results = targets.Select(_ => new List<double>()).ToArray();
        var failed = new bool[targets.Count];
        for (var i = 0; i < runs; i++)
            for (var t = 0; t < targets.Count; t++)
            {
                if (failed[t]) continue;
                try
                {
                    results[t].Add(once(targets[t]));
                }
                catch (InvalidOperationException e)
                {
                    failed[t] = true;
                    results[t] = [double.NaN];
                    Console.WriteLine($"  {targets[t].Name} failed: {e.Message.Split('\n').Last(l => l.Trim().Length > 0).Trim()}");
                }
            }
        return results;
    }

    /// <summary>Prints medians; <paramref name="megabytes"/> &gt; 0 turns elapsed ms into MB/s.</summary>
    private static void Row(string what, List<Target> targets, List<double>[] ms, double megabytes, double target, bool higherIsBetter)
    {
        var medians = ms.Select(m => m.Any(double.IsNaN) ? double.NaN : Stats.Percentile(m, 50)).Select(v => megabytes > 0 ? megabytes / (v / 1000) : v).ToArray();
        double Ratio(int t) => higherIsBetter ? medians[t] / medians[0] : medians[0] / medians[t];
        var (devFuse, uring) = (Ratio(1), Ratio(2));
        var vsHp = medians.Length < 4 ? double.NaN : higherIsBetter ? medians[2] / medians[3] : medians[3] / medians[2];
        var versus = double.IsNaN(vsHp) ? "passthrough_hp failed or absent" : $"{vsHp,8:F2}x {(vsHp >= 1 ? "ahead" : "BEHIND")}";
        Console.WriteLine($"{what,-44} {string.Join(" ", medians.Select(v => double.IsNaN(v) ? $"{"failed",16}" : $"{v,16:F1}"))}   {devFuse,11:P0}   {uring,15:P0}   {(uring >= target ? "ok" : "MISSED"),6}   {versus}");
    }

    private static double Dd(string args) => Timed("/bin/sh", ["-c", $"dd {args} status=none"]);

    private static double Python(string program, string dir)
    {
        var r = Run("python3", ["-c", program, dir]);
        return double.Parse(r.Trim(), CultureInfo.InvariantCulture);
    }

    private static double Sh(string script, string dir) => Timed("/bin/sh", ["-c", script, "sh", dir]);

    private static double Timed(string file, string[] args)
    {
        var clock = Stopwatch.StartNew();
        Run(file, args);
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>git without the system's or the user's configuration, trusting every directory (the mounts' owners differ).</summary>
    private static readonly Dictionary<string, string> GitEnvironment = new()
    {
        ["GIT_CONFIG_NOSYSTEM"] = "1", ["HOME"] = "/tmp",
        ["GIT_CONFIG_COUNT"] = "1", ["GIT_CONFIG_KEY_0"] = "safe.directory", ["GIT_CONFIG_VALUE_0"] = "*",
    };

    private static string Run(string file, string[] args) => Command.Run(file, args, GitEnvironment);

    private static Process StartPassthroughHp(string binary, string args, string source, string mount)
    {
        var psi = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--foreground");
        if (args.Length > 0) psi.ArgumentList.Add(args);
        psi.ArgumentList.Add(source);
        psi.ArgumentList.Add(mount);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        // passthrough_hp keeps a descriptor per inode it knows and says so once per request when it runs out.
        var said = new HashSet<string>();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null && said.Add(e.Data)) Console.Error.WriteLine("passthrough_hp: " + e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task WaitMountedAsync(IEnumerable<string> mounts)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        foreach (var m in mounts)
            while (!File.ReadAllText("/proc/self/mountinfo").Contains($" {m} ", StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"passthrough_hp did not mount {m}");
                await Task.Delay(50);
            }
    }
}
