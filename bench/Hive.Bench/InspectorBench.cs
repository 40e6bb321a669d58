using System.Diagnostics;
using System.Text.Json;
using Hive.Core.Events;
using Hive.Daemon.Store;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// The Inspector's timeline in headless chromium (issue 12), through a real daemon: (1) first paint of a sandbox with
/// N stored events (default 100,000), against the same page for a sandbox with none (the baseline: page, session and
/// stream set-up); (2) a flood of events from a real sandbox (python sending DNS queries, one dns.query each, paced to R/s), the
/// events shown per second against the events the daemon stored per second, and whether any was dropped.
/// </summary>
public static class InspectorBench
{
    private static readonly string Script = Path.Combine(Repo.Root, "bench", "Hive.Bench", "inspector", "timeline.mjs");

    public static async Task RunAsync(int events, int rate, int seconds, int runs)
    {
        Console.WriteLine($"hive bench inspector: {events:N0} stored events, flood of {rate:N0} events/s for {seconds} s, {runs} paint runs, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
        if (!File.Exists("/usr/bin/chromium")) throw new InvalidOperationException("/usr/bin/chromium is missing (apt-get install chromium)");
        if (!File.Exists(Path.Combine(Repo.Root, "inspector", "node_modules", "playwright-core", "package.json")))
            throw new InvalidOperationException("inspector/node_modules is missing: run make build (npm ci in inspector/)");
        await PaintAsync(events, runs);
        await FloodAsync(rate, seconds);
    }

    private static async Task PaintAsync(int count, int runs)
    {
        var home = Path.Combine(Path.GetTempPath(), $"hive-bench-ui-{Guid.NewGuid():N}"[..26]);
        Directory.CreateDirectory(home);
        try
        {
            using (var store = new SqliteStore(Path.Combine(home, "hive.db")))
            {
                // A timeline's usual mix: file requests and their responses, egress pairs, DNS. One other sandbox's event
                // between them, so that the sandbox's own events are read through its index as in real use.
                var batch = new List<StoredEvent>(10_000);
                var ts = DateTimeOffset.UtcNow.AddHours(-1);
                for (var id = 1L; id <= count; id++)
                {
                    var (type, data) = (id % 4) switch
                    {
                        0 => (EventTypes.FsRequest, $"{{\"access\":\"allowed\",\"op\":\"write\",\"path\":\"/workspace/src/file{id % 977}.py\",\"mount\":\"/workspace\"}}"),
                        1 => (EventTypes.FsResponse, $"{{\"requestId\":{id - 1},\"errno\":0,\"bytes\":512,\"durationMs\":0}}"),
                        2 => (EventTypes.EgressRequest, $"{{\"access\":\"allowed\",\"host\":\"pypi.org\",\"port\":443,\"method\":\"GET\",\"path\":\"/simple/pkg{id % 311}/\",\"query\":null,\"rule\":0,\"reason\":\"egress rule 0 allows it\",\"secrets\":[]}}"),
                        _ => (EventTypes.EgressResponse, $"{{\"requestId\":{id - 1},\"status\":200,\"durationMs\":12,\"bytesIn\":2048,\"bytesOut\":0}}"),
                    };
                    batch.Add(new StoredEvent(id, ts.AddMilliseconds(id * 10), "big", type, data));
                    if (batch.Count == batch.Capacity) { store.InsertEvents(batch); batch.Clear(); }
                }
                store.InsertEvents(batch);
            }
            await using var daemon = await DaemonProcess.StartAsync(reuseHome: home, extraSettings: "\"events\": { \"retentionDays\": 0, \"maxSizeMb\": 0 }");
            var link = await LoginAsync(daemon);
            var empty = await NodeAsync(["paint", daemon.Url, link, "nothing-here", runs.ToString(), "0"]);
            link = await LoginAsync(daemon);
            var full = await NodeAsync(["paint", daemon.Url, link, "big", runs.ToString(), count.ToString()]);
            double P50(string json, string field) => Stats.Percentile(JsonDocument.Parse(json).RootElement.GetProperty(field).EnumerateArray().Select(e => e.GetDouble()).ToList(), 50);
            var baseline = P50(empty, "newestRowMs");
            Report($"timeline first rows, {count:N0} stored (p50)", P50(full, "firstRowMs"), baseline);
            Report($"timeline newest row in view, {count:N0} stored (p50)", P50(full, "newestRowMs"), baseline);
            Console.WriteLine($"    target: first paint <= 1,000 ms; runs: {full}");
        }
        finally
        {
            await HostCleanup.RemoveLeftoversAsync(home);
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task FloodAsync(int rate, int seconds)
    {
        await using var daemon = await DaemonProcess.StartAsync(withBaseImage: true);
        using var hive = daemon.Connect();
        var sb = await hive.GetOrCreateSandboxAsync($"flood-{Guid.NewGuid():N}"[..14], new SandboxConfig { Image = "hive/base" });
        try
        {
            var link = await LoginAsync(daemon);
            using var node = Process.Start(new ProcessStartInfo("node", [Script, "flood", daemon.Url, link, sb.Name])
                { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true })!;
            var ready = await node.StandardOutput.ReadLineAsync();
            if (ready != "ready") throw new InvalidOperationException($"the browser did not get ready: {ready} {await node.StandardError.ReadToEndAsync()}");
            var first = await AllEventsAsync(sb);
            var clock = Stopwatch.StartNew();
            // DNS queries for names no rule allows, each one dns.query event, sent to the sandbox's resolver (the daemon's
            // DNS server) paced in 5 ms steps: the queries due by now, then sleep to the next step.
            var program = $$"""
                import socket, struct, time
                ns = [l.split()[1] for l in open('/etc/resolv.conf') if l.startswith('nameserver')][0]
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setblocking(False)
                def query(i):
                    name = b''.join(bytes([len(p)]) + p for p in [b'n%d' % i, b'flood', b'test']) + b'\0'
                    return struct.pack('>HHHHHH', i & 0xffff, 0x0100, 1, 0, 0, 0) + name + struct.pack('>HH', 1, 1)
                t0 = time.time(); n = 0
                while time.time() - t0 < {{seconds}}:
                    due = int((time.time() - t0) * {{rate}})
                    while n < due:
                        s.sendto(query(n), (ns, 53)); n += 1
                    try:
                        while True: s.recv(512)
                    except BlockingIOError: pass
                    time.sleep(0.005)
                print(n)
                """;
            var writer = await sb.ExecAsync(new ExecRequest { Command = new ExecCommand(["python3", "-c", program]), TimeoutMs = (seconds + 60) * 1000 });
            var generatedSeconds = clock.Elapsed.TotalSeconds;
            await Task.Delay(500); // the last replies' events
            var produced = await AllEventsAsync(sb) - first;
            await node.StandardInput.WriteLineAsync((await CountShownTargetAsync(sb)).ToString());
            await node.StandardInput.FlushAsync();
            var samples = JsonDocument.Parse(await node.StandardOutput.ReadToEndAsync()).RootElement.EnumerateArray()
                .Select(s => (Ms: s[0].GetDouble(), Shown: s[1].GetInt64())).ToList();
            await node.WaitForExitAsync();
            var shown = samples[^1].Shown - samples[0].Shown;
            // The browser's rate while the flood ran: from its first change to the moment it had them all.
            var moving = samples.Where(s => s.Shown > samples[0].Shown).ToList();
            var window = moving.Count > 1 ? (moving[^1].Ms - moving[0].Ms) / 1000 : 1;
            Report("events shown per second during the flood", shown / window, produced / generatedSeconds, "events stored per second", unit: "ev/s");
            Console.WriteLine($"    {writer.Stdout.Trim()} queries sent, {produced:N0} events stored in {generatedSeconds:F1} s ({produced / generatedSeconds:N0}/s), {shown:N0} shown " +
                $"(the browser's last one {moving.LastOrDefault().Ms / 1000:F1} s after it was ready); dropped: {Math.Max(0, produced - shown):N0}");
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    /// <summary>What the timeline's count must reach: every event of the sandbox (it counts them all).</summary>
    private static Task<long> CountShownTargetAsync(Sandbox sb) => AllEventsAsync(sb);

    private static async Task<long> AllEventsAsync(Sandbox sb)
    {
        long n = 0, after = 0;
        while (true)
        {
            var page = await sb.GetEventsAsync(after: after, limit: 10_000);
            n += page.Count;
            if (page.Count < 10_000) return n;
            after = page[^1].Id;
        }
    }

    private static async Task<string> LoginAsync(DaemonProcess daemon)
    {
        var r = await Proc.RunAsync(Repo.Hive, ["inspector", "--no-open"], daemon.Env);
        if (r.ExitCode != 0) throw new InvalidOperationException($"hive inspector failed: {r.Stderr}");
        return r.Stdout.Trim();
    }

    private static async Task<string> NodeAsync(string[] args)
    {
        var r = await Proc.RunAsync("node", [Script, .. args], timeout: TimeSpan.FromMinutes(10));
        if (r.ExitCode != 0) throw new InvalidOperationException($"node {Script} {args[0]} failed: {r.Stderr}{r.Stdout}");
        return r.Stdout.Trim().Split('\n')[^1];
    }

    private static void Report(string name, double value, double baseline, string baselineName = "the same page with no events", string unit = "ms") =>
        Console.WriteLine($"  {name,-52} {value,10:N1} {unit}   baseline ({baselineName}) {baseline,8:N1} {unit}   ratio {value / baseline:F2}x");
}
