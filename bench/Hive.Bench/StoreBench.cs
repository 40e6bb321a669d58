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
            IndexCost(dir);
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

    /// <summary>
    /// What one stored event costs SQLite, and how much of it each index of the event log adds: CPU per event of
    /// <see cref="SqliteStore.InsertEvents"/> (one thread, batches of 256, proxy-like events of two sandboxes) with every
    /// index, with one dropped at a time, and with none. The proxy records two events per request, so twice these figures
    /// is what the audit log costs a request.
    /// </summary>
    private static void IndexCost(string dir)
    {
        const string request = """{"access":"allowed","host":"api.example.test","port":41234,"method":"GET","path":"/echo","query":null,"rule":0,"reason":"egress rule 0 allows api.example.test","secrets":[]}""";
        const string response = """{"requestId":123456,"status":200,"durationMs":0,"bytesIn":120,"bytesOut":0}""";
        string[] indexes = ["events_sandbox", "events_type", "events_sandbox_type"];
        var variants = new List<(string Name, string[] Drop)> { ("every index", []) };
        variants.AddRange(indexes.Select(i => ($"without {i}", new[] { i })));
        variants.Add(("table only", indexes));
        Console.WriteLine("  SQLite CPU per stored event (one writer thread, batches of 256):");
        var costs = new Dictionary<string, double>();
        foreach (var (name, drop) in variants)
        {
            var path = Path.Combine(dir, $"index-cost-{costs.Count}.db");
            new SqliteStore(path).Dispose();
            using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
            {
                c.Open();
                foreach (var index in drop)
                {
                    using var cmd = c.CreateCommand();
                    cmd.CommandText = $"DROP INDEX {index}";
                    cmd.ExecuteNonQuery();
                }
            }
            using var store = new SqliteStore(path);
            var id = 0L;
            void Insert(int batches)
            {
                for (var b = 0; b < batches; b++)
                {
                    var batch = new List<StoredEvent>(256);
                    for (var i = 0; i < 128; i++)
                    {
                        var sandbox = i % 8 == 0 ? "bench-egress-secret" : "bench-egress";
                        batch.Add(new StoredEvent(++id, DateTimeOffset.UtcNow, sandbox, EventTypes.EgressRequest, request));
                        batch.Add(new StoredEvent(++id, DateTimeOffset.UtcNow, sandbox, EventTypes.EgressResponse, response));
                    }
                    store.InsertEvents(batch);
                }
            }
            Insert(200); // warm-up: JIT, page cache, a tree of some depth
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            Insert(2000);
            costs[name] = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / (2000 * 256);
            Console.WriteLine($"    {name,-32} {costs[name],6:F2} us");
        }
        foreach (var index in indexes)
            Console.WriteLine($"    {index} adds {costs["every index"] - costs[$"without {index}"]:F2} us per event");
        Console.WriteLine($"    a proxied request (two events) costs the writer about {2 * costs["every index"]:F1} us in SQLite");
    }
}
