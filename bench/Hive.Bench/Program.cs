using System.Diagnostics;
using Hive.Bench;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

// Sandbox benchmarks of issue 2, each printed as a ratio to a baseline measured in the same run.
// Usage: make bench [BENCH_ARGS="--suite all|sandbox|egress|secrets|scrub|files|mcp|events|store|inspector|terminal|cluster|objstore --stored 100000 --rate 2000 --events 10000000 --reads 200 --mb 1024 --rounds 3 --fill zeros|text --keep-db PATH (events: fill once, reuse after) --runs 30 --sandboxes 20 --seconds 10 --warmup 15 (egress; events: 10) --file-runs 5 --only all|seq|small|git (files) or all|rps|download (egress) --mb 256 --files 1000 (objstore)"]
if (args is [BareProxy.Flag, var bareUpstream])
{
    await BareProxy.ServeAsync(int.Parse(bareUpstream, System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}
var runs = ArgValue("--runs", 30);
var sandboxes = ArgValue("--sandboxes", 20);
var suite = Array.IndexOf(args, "--suite") is var si and >= 0 && si + 1 < args.Length ? args[si + 1] : "all";
if (suite is not ("all" or "sandbox" or "egress" or "secrets" or "scrub" or "files" or "mcp" or "events" or "store" or "inspector" or "terminal" or "cluster" or "objstore"))
{
    Console.Error.WriteLine("--suite: must be all, sandbox, egress, secrets, scrub, files, mcp, events, store, inspector, terminal, cluster or objstore");
    return 2;
}
var only = Array.IndexOf(args, "--only") is var oi and >= 0 && oi + 1 < args.Length ? args[oi + 1] : "all";
if (only is not ("all" or "seq" or "small" or "git" or "rps" or "download"))
{
    Console.Error.WriteLine("--only: must be all, seq, small or git (files), or all, rps or download (egress)");
    return 2;
}
if (suite == "events")
{
    var keep = Array.IndexOf(args, "--keep-db") is var ki and >= 0 && ki + 1 < args.Length ? args[ki + 1] : null;
    await EventLogBench.RunAsync(ArgValue("--events", 10_000_000), ArgValue("--reads", 200), keep, ArgValue("--warmup", 10));
    return 0;
}
if (suite == "store")
{
    StoreBench.Run(ArgValue("--events", 200_000), ArgValue("--runs", 500));
    return 0;
}
if (suite == "inspector")
{
    await InspectorBench.RunAsync(ArgValue("--stored", 100_000), ArgValue("--rate", 2000), ArgValue("--seconds", 10), ArgValue("--runs", 5));
    return 0;
}
if (suite == "terminal")
{
    await TerminalBench.RunAsync(ArgValue("--runs", 200));
    return 0;
}
if (suite == "mcp")
{
    await McpBench.RunAsync(ArgValue("--runs", 100));
    return 0;
}
if (suite == "secrets")
{
    await SecretBench.RunAsync(ArgValue("--seconds", 5));
    return 0;
}
if (suite == "scrub")
{
    var fill = Array.IndexOf(args, "--fill") is var fi and >= 0 && fi + 1 < args.Length ? args[fi + 1] : "zeros";
    await ScrubBench.RunAsync(ArgValue("--mb", 1024) * 1_000_000L, ArgValue("--rounds", 3), fill);
    return 0;
}
if (suite == "files")
{
    await FilesBench.RunAsync(ArgValue("--file-runs", 5), only);
    return 0;
}
if (suite == "cluster")
{
    await ClusterBench.RunAsync(ArgValue("--runs", 30));
    return 0;
}
if (suite == "objstore")
{
    await ObjectStoreBench.RunAsync(ArgValue("--runs", 3), ArgValue("--mb", 256), ArgValue("--files", 1000));
    return 0;
}
if (suite == "egress")
{
    await EgressBench.RunAsync(ArgValue("--seconds", 10), ArgValue("--warmup", 15), only);
    return 0;
}

await using var daemon = await DaemonProcess.StartAsync();
using var hive = daemon.Connect();
var rootFs = Path.Combine(daemon.Home, "images", "hive_minimal", "rootfs");
await using var bare = await BareRunc.CreateAsync(rootFs);
var config = new SandboxConfig { Image = "hive/minimal" };

Console.WriteLine($"hive bench: {runs} runs, {sandboxes} sandboxes for RSS, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");

// 1. Create -> first exec done, against bare `runc run /bin/true`. Interleaved so that noise hits both.
var hiveCreate = new List<double>();
var bareRun = new List<double>();
for (var i = 0; i < runs + 2; i++)
{
    var clock = Stopwatch.StartNew();
    var sb = await hive.GetOrCreateSandboxAsync($"bench-{i}", config);
    await sb.ExecAsync(["/bin/true"]);
    var ms = clock.Elapsed.TotalMilliseconds;
    await sb.DeleteAsync();
    var bareMs = await bare.RunTrueAsync($"bare-{i}");
    if (i < 2) continue; // warm-up
    hiveCreate.Add(ms);
    bareRun.Add(bareMs);
}
Report("create -> first exec (p50)", Stats.Percentile(hiveCreate, 50), Stats.Percentile(bareRun, 50), "bare runc run", 1.5);
Report("create -> first exec (p95)", Stats.Percentile(hiveCreate, 95), Stats.Percentile(bareRun, 95), "bare runc run", 1.5);

// 2. Exec round trip of `true` on a running sandbox, against bare `runc exec`.
var target = await hive.GetOrCreateSandboxAsync("bench-exec", config);
await bare.StartSleeperAsync("bare-exec");
var hiveExec = new List<double>();
var bareExec = new List<double>();
for (var i = 0; i < runs + 2; i++)
{
    var clock = Stopwatch.StartNew();
    await target.ExecAsync(["/bin/true"]);
    var ms = clock.Elapsed.TotalMilliseconds;
    var bareMs = await bare.ExecTrueAsync("bare-exec");
    if (i < 2) continue;
    hiveExec.Add(ms);
    bareExec.Add(bareMs);
}
Report("exec true round trip (p50)", Stats.Percentile(hiveExec, 50), Stats.Percentile(bareExec, 50), "bare runc exec", 1.2);
await target.DeleteAsync();

// 3. Daemon memory: idle, then with N running sandboxes.
await Task.Delay(2000);
var idle = RssMiB(daemon.Pid);
var running = new List<Sandbox>();
for (var i = 0; i < sandboxes; i++) running.Add(await hive.GetOrCreateSandboxAsync($"bench-rss-{i}", config));
await Task.Delay(2000);
var loaded = RssMiB(daemon.Pid);
var perSandbox = (loaded - idle) / sandboxes;
Console.WriteLine($"{"daemon RSS idle",-34} {idle,8:F1} MiB");
Console.WriteLine($"{$"daemon RSS with {sandboxes} sandboxes",-34} {loaded,8:F1} MiB   {perSandbox:F2} MiB per sandbox   target <= 2.00   {(perSandbox <= 2 ? "ok" : "MISSED")}");
foreach (var s in running) await s.DeleteAsync();
if (suite == "all")
{
    await EgressBench.RunAsync(ArgValue("--seconds", 10), ArgValue("--warmup", 15), only is "rps" or "download" ? only : "all");
    await SecretBench.RunAsync(ArgValue("--seconds", 5));
    await FilesBench.RunAsync(ArgValue("--file-runs", 5), only is "rps" or "download" ? "all" : only);
    await McpBench.RunAsync(ArgValue("--runs", 30) * 3);
    await TerminalBench.RunAsync(ArgValue("--runs", 30) * 3);
}
return 0;

static void Report(string what, double hiveMs, double baseMs, string baseline, double target)
{
    var ratio = hiveMs / baseMs;
    Console.WriteLine($"{what,-34} {hiveMs,8:F1} ms   {baseline} {baseMs,7:F1} ms   ratio {ratio:F2}x   target <= {target:F1}x   {(ratio <= target ? "ok" : "MISSED")}");
}

static double RssMiB(int pid) =>
    File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:")).Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024).First();

int ArgValue(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
