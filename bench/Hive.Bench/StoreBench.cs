using System.Diagnostics;
using Hive.Core.Events;
using Hive.Daemon.Events;
using Hive.Daemon.Store;
using Hive.Tests.Postgres;

namespace Hive.Bench;

/// <summary>
/// Events stored per second through the daemon's event writer (EventBus: batching, one transaction per batch), with the
/// state in PostgreSQL (a real server on loopback, started here) against SQLite (the baseline), in one run; and the
/// latency of one appended event waiting for its commit (what a request that records an event waits for at most).
/// </summary>
public static class StoreBench
{
    private const string Data = """{"requestId":12345,"method":"GET","host":"api.example.test","port":443,"path":"/v1/items?page=2","access":"allow","rule":3}""";

    public static void Run(int events, int appends)
    {
        Console.WriteLine($"hive bench store: {events:N0} events through the event writer, {appends} single appends, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
        var dir = Directory.CreateTempSubdirectory("hive-bench-store-").FullName;
        using var pg = PostgresServer.Start();
        try
        {
            var sqlite = Measure(() => new SqliteStore(Path.Combine(dir, "hive.db")), events, appends);
            var postgres = Measure(() => new PostgresStore(DatabaseUrl.Parse(pg.Url(pg.CreateDatabase()))), events, appends);
            Console.WriteLine($"  {"store",-12} {"events/s",10} {"append p50",11} {"p99",8}");
            foreach (var (name, r) in new[] { ("sqlite", sqlite), ("postgres", postgres) })
                Console.WriteLine($"  {name,-12} {r.PerSecond,10:N0} {r.P50,8:F2} ms {r.P99,5:F2} ms");
            Console.WriteLine($"  postgres/sqlite: throughput {postgres.PerSecond / sqlite.PerSecond:F2}, append p50 {postgres.P50 / sqlite.P50:F2}x");
            Console.WriteLine("  (PostgreSQL runs here with fsync=off, as the tests start it: the figure is the store's code and protocol, not the disk)");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (double PerSecond, double P50, double P99) Measure(Func<IHiveStore> open, int events, int appends)
    {
        using var store = open();
        using var bus = new EventBus(store);
        // Four producers, as the proxy's connections are: the writer gathers what they enqueue into batches.
        var clock = Stopwatch.StartNew();
        Parallel.For(0, 4, p =>
        {
            for (var i = p; i < events; i += 4) bus.EnqueueJson($"sb-{i % 20}", i % 2 == 0 ? EventTypes.EgressRequest : EventTypes.EgressResponse, Data);
        });
        bus.Flush();
        var perSecond = events / clock.Elapsed.TotalSeconds;
        var latencies = new List<double>(appends);
        for (var i = 0; i < appends; i++)
        {
            var t = Stopwatch.StartNew();
            bus.Append("sb-0", EventTypes.ExecRequest);
            latencies.Add(t.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        return (perSecond, latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)]);
    }
}
