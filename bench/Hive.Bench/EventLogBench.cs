using System.Diagnostics;
using System.Net.Http.Headers;
using Hive.Core.Events;
using Hive.Daemon.Store;
using Hive.EndToEnd.Infrastructure;

namespace Hive.Bench;

/// <summary>
/// The event log at scale (issue 17): N events (default 10 million) written straight into a daemon's SQLite file, then
/// pages read through the daemon's HTTP API (the newest page, a sandbox's newest page, ?types= pages forward and back),
/// each beside the same page read in-process from SQLite (the baseline: what the HTTP layer adds).
/// </summary>
public static class EventLogBench
{
    private static readonly (string Type, int Weight)[] Mix =
    [
        (EventTypes.EgressRequest, 35), (EventTypes.EgressResponse, 35), (EventTypes.DnsQuery, 15), (EventTypes.FsRequest, 10),
        (EventTypes.ExecRequest, 2), (EventTypes.ExecResponse, 2), (EventTypes.LlmCall, 1),
    ];

    /// <param name="keepDb">A database file kept between runs: filled on the first, linked into the daemon's home after (filling 10M takes minutes).</param>
    /// <param name="warmup">Seconds of reading every page before the timed reads: a daemon's first seconds are its tiering
    /// JIT's (2.2 of the 4.3 CPU seconds of a young daemon's first 15 s at load 27, `top -H`), which a long-running one
    /// does not pay; without it, whichever pages came first measured 10-25 ms p50 under load, and 1 ms a few seconds later.</param>
    public static async Task RunAsync(long count, int reads, string? keepDb = null, int warmup = 10)
    {
        Console.WriteLine($"hive bench events: {count:N0} events, {reads} reads per page after {warmup} s of warm-up, {Environment.ProcessorCount} cores, " +
                          $"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var home = Path.Combine(Path.GetTempPath(), $"hive-bench-events-{Guid.NewGuid():N}"[..30]);
        Directory.CreateDirectory(home);
        try
        {
            if (keepDb is not null && File.Exists(keepDb))
            {
                using (var kept = new SqliteStore(keepDb)) count = kept.LastEventId();
                File.CreateSymbolicLink(Path.Combine(home, "hive.db"), Path.GetFullPath(keepDb));
                Console.WriteLine($"  reusing {keepDb}: {count:N0} events, {new FileInfo(keepDb).Length / (1024 * 1024):N0} MiB");
            }
            else
            {
                var file = keepDb ?? Path.Combine(home, "hive.db");
                var insert = Fill(file, count);
                if (keepDb is not null) File.CreateSymbolicLink(Path.Combine(home, "hive.db"), Path.GetFullPath(keepDb));
                Console.WriteLine($"  write: {count / insert.TotalSeconds:N0} events/s straight into SQLite ({insert.TotalSeconds:F0} s); file {new FileInfo(file).Length / (1024 * 1024):N0} MiB");
            }

            using var direct = new SqliteStore(Path.Combine(home, "hive.db"));
            // Retention off: the bench measures reads of a full log, not pruning.
            await using var daemon = await DaemonProcess.StartAsync(reuseHome: home, extraSettings: "\"events\": { \"retentionDays\": 0, \"maxSizeMb\": 0 }");
            using var http = new HttpClient { BaseAddress = new Uri(daemon.Url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", daemon.Token);

            string[] llm = [EventTypes.LlmCall];
            string[] exec = [EventTypes.ExecRequest, EventTypes.ExecResponse];
            var pages = new (string Name, string Url, Func<int> Direct)[]
            {
                ("newest page (100)", "/v1/events?follow=false&before=latest&limit=100", () => direct.ReadEventsBefore(null, long.MaxValue, 100).Count),
                ("one sandbox, newest page", "/v1/sandboxes/sb-7/events?follow=false&before=latest&limit=100", () => direct.ReadEventsBefore("sb-7", long.MaxValue, 100).Count),
                ("?types=llm.call, newest", "/v1/events?follow=false&before=latest&types=llm.call&limit=100", () => direct.ReadEventsBefore(null, long.MaxValue, 100, llm).Count),
                ("?types=exec.*, newest", "/v1/events?follow=false&before=latest&types=exec.*&limit=100", () => direct.ReadEventsBefore(null, long.MaxValue, 100, exec).Count),
                ("?types=llm.call, from the start", "/v1/events?follow=false&types=llm.call&limit=100", () => direct.ReadEvents(null, 0, 100, llm).Count),
                ("one sandbox ?types=exec.*, newest", "/v1/sandboxes/sb-7/events?follow=false&before=latest&types=exec.*&limit=100", () => direct.ReadEventsBefore("sb-7", long.MaxValue, 100, exec).Count),
            };
            var warm = Stopwatch.StartNew();
            while (warm.Elapsed < TimeSpan.FromSeconds(warmup))
                foreach (var (_, url, read) in pages)
                {
                    using var response = await http.GetAsync(url);
                    await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();
                    read();
                }
            Console.WriteLine($"  {"page",-36} {"HTTP p50",9} {"p99",8} {"SQLite p50",11} {"ratio",6}   target: HTTP p50 <= 5 ms");
            foreach (var (name, url, read) in pages)
            {
                var viaHttp = new List<double>();
                var inProcess = new List<double>();
                for (var i = 0; i < reads + 5; i++)
                {
                    var clock = Stopwatch.StartNew();
                    using (var response = await http.GetAsync(url))
                    {
                        response.EnsureSuccessStatusCode();
                        await response.Content.ReadAsByteArrayAsync();
                    }
                    var ms = clock.Elapsed.TotalMilliseconds;
                    clock.Restart();
                    if (read() == 0) throw new InvalidOperationException($"{name}: empty page");
                    if (i >= 5) { viaHttp.Add(ms); inProcess.Add(clock.Elapsed.TotalMilliseconds); }
                }
                var p50 = Stats.Percentile(viaHttp, 50);
                var d50 = Stats.Percentile(inProcess, 50);
                Console.WriteLine($"  {name,-36} {p50,7:F2}ms {Stats.Percentile(viaHttp, 99),6:F2}ms {d50,9:F2}ms {p50 / d50,6:F1}   {(p50 <= 5 ? "ok" : "MISSED")}");
            }
        }
        finally
        {
            if (Directory.Exists(home)) Directory.Delete(home, recursive: true); // the daemon's harness removes it when it stops
        }
    }

    private static TimeSpan Fill(string path, long count)
    {
        using var store = new SqliteStore(path);
        var weights = Mix.SelectMany(m => Enumerable.Repeat(m.Type, m.Weight)).ToArray();
        var random = new Random(20261205);
        var clock = Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow.AddHours(-count / 1_000_000.0);
        var batch = new List<StoredEvent>(10_000);
        for (long id = 1; id <= count; id++)
        {
            var type = weights[random.Next(weights.Length)];
            var data = $$"""{"access":"allow","host":"api{{id % 97}}.example.test","method":"GET","path":"/v1/items/{{id}}","status":200,"bytes":{{id % 4096}},"durationMs":{{id % 37}}}""";
            batch.Add(new StoredEvent(id, start.AddMilliseconds(id * 0.36), $"sb-{random.Next(20)}", type, data));
            if (batch.Count == batch.Capacity || id == count)
            {
                store.InsertEvents(batch);
                batch.Clear();
                if (id % 1_000_000 == 0) Console.Error.Write($"\r  writing: {id:N0}");
            }
        }
        Console.Error.WriteLine();
        return clock.Elapsed;
    }
}
