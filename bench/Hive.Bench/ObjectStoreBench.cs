using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// Object-store volumes (issue 15): the same operations through a sandbox's mounted s3 / azure volume (the workload
/// runs on the host against the sandbox's mount anchor, so no exec round trip is timed) and directly with the SDK
/// (AWSSDK.S3's TransferUtility, Azure.Storage.Blobs' BlobClient, their defaults) against the same s3rver / Azurite,
/// started here, in the same run, interleaved. Reads through the mount are measured cold (the daemon's object cache
/// and the kernel's page cache emptied: the object is fetched) and warm (served from the host's cache). Medians of
/// <c>runs</c>; every figure also as a ratio to the SDK's.
/// </summary>
public static class ObjectStoreBench
{
    private const string Sandbox = "bench-objstore";

    public static async Task RunAsync(int runs, int megabytes, int smallFiles)
    {
        using var s3 = new ObjectStoreServer("s3");
        using var azure = new ObjectStoreServer("azure");
        // The store deadline (HIVE_FILES_TIMEOUT_MS, 30 s) covers a whole upload or download, so on this shared machine a
        // 256 MiB transfer can exceed it and the close fails with EIO: the bench gives it 10 minutes to measure speed.
        // HIVE_BENCH_DAEMON_ENV='NAME=VALUE,NAME=VALUE': more environment for the daemon (as in the egress suite), e.g.
        // DOTNET_PerfMapEnabled=1,DOTNET_EnableWriteXorExecute=0 for perf to name JIT-compiled methods.
        var daemonEnv = (Environment.GetEnvironmentVariable("HIVE_BENCH_DAEMON_ENV") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");
        daemonEnv["HIVE_FILES_TIMEOUT_MS"] = "600000";
        await using var daemon = await DaemonProcess.StartAsync(env: daemonEnv);
        using var hive = daemon.Connect();
        var work = Directory.CreateTempSubdirectory("hive-bench-objstore-").FullName;
        try
        {
            var source = Path.Combine(work, "source");
            await using (var file = File.Create(source))
            {
                var chunk = new byte[1 << 20];
                for (var i = 0; i < megabytes; i++)
                {
                    Random.Shared.NextBytes(chunk);
                    await file.WriteAsync(chunk);
                }
            }
            Console.WriteLine($"objstore: {runs} runs per figure (median), {megabytes} MiB sequential, {smallFiles} x 4 KiB files, "
                + $"{Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}");
            Console.WriteLine($"{"workload",-44} {"mount",12} {"SDK",12}   mount/SDK");
            var index = 0;
            foreach (var server in new[] { s3, azure })
            {
                var bucket = await server.NewBucketAsync();
                var secret = "bench-" + server.Kind;
                await hive.Secrets.CreateAsync(new SecretCreateOptions { Name = secret, Value = server.Credential, Hosts = [$"{server.Kind}.bench.test"], Auth = SecretAuth.Bearer(), Global = true });
                var name = $"{Sandbox}-{index++}";
                await CreateAsync(daemon, name, server.MountJson("/data", bucket, secret));
                try
                {
                    await MeasureAsync(server, bucket, Path.Combine(daemon.Home, "sandboxes", name, "mnt", "0"),
                        Path.Combine(daemon.Home, "cache", "objects", name + ".0", "data"), source, runs, megabytes, smallFiles, daemon.Pid);
                }
                finally
                {
                    await hive.DeleteSandboxAsync(name);
                }
            }
            Console.WriteLine($"objstore: load average at the end {LoadAverage()}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task MeasureAsync(ObjectStoreServer server, string bucket, string mount, string cache, string source, int runs,
        int megabytes, int smallFiles, int daemonPid)
    {
        var write = (Mount: new List<double>(), Sdk: new List<double>());
        var cold = new List<double>();
        var warm = new List<double>();
        var read = new List<double>();
        var small = (Mount: new List<double>(), Sdk: new List<double>());
        var daemonCpu = (Write: new List<double>(), Cold: new List<double>(), Small: new List<double>());
        var target = Path.Combine(mount, "big");
        for (var run = 0; run < runs; run++)
        {
            if (File.Exists(target)) File.Delete(target);
            var cpu = CpuSeconds(daemonPid);
            write.Mount.Add(Timed(() => Command.Run("dd", [$"if={source}", $"of={target}", "bs=1M", "status=none"])));
            daemonCpu.Write.Add(CpuSeconds(daemonPid) - cpu);
            write.Sdk.Add(await TimedAsync(() => PutFileAsync(server, bucket, "sdk/big", source)));

            EmptyCaches(cache);
            cpu = CpuSeconds(daemonPid);
            cold.Add(Timed(() => Command.Run("dd", [$"if={target}", "of=/dev/null", "bs=1M", "status=none"])));
            daemonCpu.Cold.Add(CpuSeconds(daemonPid) - cpu);
            warm.Add(Timed(() => Command.Run("dd", [$"if={target}", "of=/dev/null", "bs=1M", "status=none"])));
            read.Add(await TimedAsync(() => GetAsync(server, bucket, "sdk/big")));

            using var profile = Profile(daemonPid, $"{server.Kind}-small{run}");
            cpu = CpuSeconds(daemonPid);
            small.Mount.Add(double.Parse(Command.Run("python3", ["-c", SmallFiles, Path.Combine(mount, $"small{run}"), smallFiles.ToString(CultureInfo.InvariantCulture)]).Trim(),
                CultureInfo.InvariantCulture));
            daemonCpu.Small.Add(CpuSeconds(daemonPid) - cpu);
            profile?.Stop();
            small.Sdk.Add(await TimedAsync(() => PutSmallAsync(server, bucket, $"sdk-small{run}/", smallFiles)));
        }
        var mb = megabytes * 1.048576;
        Row($"{server.Kind}: sequential write {megabytes} MiB (MB/s)", mb / Median(write.Mount) * 1000, mb / Median(write.Sdk) * 1000, higherIsBetter: true,
            $"daemon CPU {Median(daemonCpu.Write):F2} s");
        Row($"{server.Kind}: sequential read {megabytes} MiB, cold (MB/s)", mb / Median(cold) * 1000, mb / Median(read) * 1000, higherIsBetter: true,
            $"daemon CPU {Median(daemonCpu.Cold):F2} s");
        Row($"{server.Kind}: sequential read {megabytes} MiB, warm (MB/s)", mb / Median(warm) * 1000, mb / Median(read) * 1000, higherIsBetter: true, "");
        Row($"{server.Kind}: {smallFiles} x 4 KiB create+write+close (ms)", Median(small.Mount), Median(small.Sdk), higherIsBetter: false,
            $"daemon CPU {Median(daemonCpu.Small):F2} s");
    }

    // The same work as the SDK side: create, write 4 KiB, close (the close uploads), one file after another.
    private const string SmallFiles = """
import os, sys, time
os.makedirs(sys.argv[1]); os.chdir(sys.argv[1])
data = os.urandom(4096); n = int(sys.argv[2])
t = time.perf_counter()
for i in range(n):
    fd = os.open('f%d' % i, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644); os.write(fd, data); os.close(fd)
print((time.perf_counter() - t) * 1000)
""";

    /// <summary>
    /// HIVE_BENCH_PROFILE='perf record -F 499 -g -p {pid} -o /tmp/perf-{arm}.data': a profiler attached to the daemon for
    /// the small-file part ({arm}: s3-small0, azure-small0, ...), interrupted (SIGINT) when that part ends.
    /// </summary>
    private static Profiler? Profile(int pid, string arm) =>
        Environment.GetEnvironmentVariable("HIVE_BENCH_PROFILE") is { Length: > 0 } command
            ? new Profiler(command.Replace("{pid}", pid.ToString(CultureInfo.InvariantCulture)).Replace("{arm}", arm))
            : null;

    private sealed class Profiler : IDisposable
    {
        private readonly Process _process;

        public Profiler(string command)
        {
            _process = Process.Start(new ProcessStartInfo("bash", ["-c", "exec " + command]))!;
            Thread.Sleep(1000); // perf attaches before the workload starts
        }

        public void Stop()
        {
            if (_process.HasExited) return;
            Command.Run("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            _process.WaitForExit(TimeSpan.FromSeconds(60));
        }

        public void Dispose()
        {
            Stop();
            _process.Dispose();
        }
    }

    private static async Task PutFileAsync(ObjectStoreServer server, string bucket, string key, string file)
    {
        if (server.Kind == "s3")
        {
            using var s3 = server.S3();
            using var transfer = new TransferUtility(s3);
            await transfer.UploadAsync(file, bucket, key);
        }
        else await server.Container(bucket).GetBlobClient(key).UploadAsync(file, overwrite: true);
    }

    private static async Task GetAsync(ObjectStoreServer server, string bucket, string key)
    {
        if (server.Kind == "s3")
        {
            using var s3 = server.S3();
            using var got = await s3.GetObjectAsync(bucket, key);
            await got.ResponseStream.CopyToAsync(Stream.Null);
        }
        else await server.Container(bucket).GetBlobClient(key).DownloadToAsync(Stream.Null);
    }

    private static async Task PutSmallAsync(ObjectStoreServer server, string bucket, string prefix, int count)
    {
        var data = new byte[4096];
        Random.Shared.NextBytes(data);
        if (server.Kind == "s3")
        {
            using var s3 = server.S3();
            for (var i = 0; i < count; i++)
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"{prefix}f{i}", InputStream = new MemoryStream(data) });
        }
        else
        {
            var container = server.Container(bucket);
            for (var i = 0; i < count; i++) await container.GetBlobClient($"{prefix}f{i}").UploadAsync(new BinaryData(data), overwrite: true);
        }
    }

    private static async Task CreateAsync(DaemonProcess daemon, string name, string mountJson)
    {
        using var http = new HttpClient { BaseAddress = new Uri(daemon.Url), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", daemon.Token);
        using var response = await http.PutAsync($"/v1/sandboxes/{name}",
            new StringContent($$"""{ "image": "hive/minimal", "fs": [ {{mountJson}} ] }""", Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"create {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Cold: the daemon's copies of objects (none is open now) and the kernel's page cache go.</summary>
    private static void EmptyCaches(string cache)
    {
        foreach (var file in Directory.GetFiles(cache)) File.Delete(file);
        Command.DropCaches();
    }

    private static void Row(string what, double mount, double sdk, bool higherIsBetter, string note)
    {
        var ratio = higherIsBetter ? mount / sdk : sdk / mount;
        Console.WriteLine($"{what,-44} {mount,12:F1} {sdk,12:F1}   {ratio,8:P0} of the SDK's speed   {note}");
    }

    private static double Median(List<double> values) => Stats.Percentile(values, 50);

    private static double Timed(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> TimedAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>User + system CPU seconds of a process so far (/proc/PID/stat, clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
