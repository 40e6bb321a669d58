using System.Text.Json;
using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Daemon.Cluster;
using Hive.Daemon.Events;
using Hive.Daemon.Store;
using Hive.Daemon.Tests.Store;

namespace Hive.Daemon.Tests.Events;

/// <summary>
/// Two controllers (two stores, two event buses) on one real PostgreSQL: ids stay unique and increasing, each
/// controller's subscribers see every event of both in id order with no gap, and the ids events name are final.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SharedEventLogTests(PostgresServerFixture pg) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
    }

    private (PostgresStore Store, EventBus Bus) Controller(string url)
    {
        var store = new PostgresStore(DatabaseUrl.Parse(url));
        _owned.Add(store);
        var bus = new EventBus(store);
        _owned.Add(bus);
        return (store, bus);
    }

    private sealed class Collector : IDisposable
    {
        private readonly EventBus.Subscription _subscription;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        public readonly List<StoredEvent> Seen = [];

        public Collector(EventBus bus)
        {
            _subscription = bus.Subscribe(null);
            _loop = Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in _subscription.Reader.ReadAllAsync(_stop.Token))
                        lock (Seen) Seen.Add(e);
                }
                catch (OperationCanceledException) { }
            });
        }

        public bool Lagged => _subscription.Lagged;

        public int Count
        {
            get { lock (Seen) return Seen.Count; }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _subscription.Dispose();
        }
    }

    [Fact]
    public async Task Both_controllers_subscribers_see_every_event_of_both_writers_in_id_order_without_gaps()
    {
        var url = pg.Server.Url(pg.Server.CreateDatabase());
        var (storeA, busA) = Controller(url);
        var (storeB, busB) = Controller(url);
        using var seenA = new Collector(busA);
        using var seenB = new Collector(busB);
        var ingestA = new EventIngest(busA, storeA);
        var ingestB = new EventIngest(busB, storeB);
        const int Pairs = 300;

        // Each controller: request/response pairs through Enqueue (provisional ids, named by the response) and Append.
        Task Writer(EventBus bus, string who) => Task.Run(() =>
        {
            for (var i = 0; i < Pairs; i++)
            {
                var request = bus.Enqueue("box", EventTypes.ExecRequest, new JsonObject { ["who"] = who, ["n"] = i });
                if (i % 50 == 0) Thread.Sleep(2);
                var response = new JsonObject { ["requestId"] = request.Id, ["who"] = who, ["n"] = i };
                if (i % 10 == 0) bus.Append("box", EventTypes.ExecResponse, response);
                else bus.Enqueue("box", EventTypes.ExecResponse, response);
            }
        });
        // A host pushing the same batches to both controllers (a retry through the other one): stored once.
        Task Host() => Task.Run(async () =>
        {
            for (var b = 0; b < 40; b++)
            {
                var events = new JsonArray();
                for (var k = 0; k < 5; k++)
                {
                    var seq = b * 5 + k + 1;
                    var data = k % 2 == 0 ? new JsonObject { ["n"] = seq } : new JsonObject { ["requestId"] = seq - 1, ["n"] = seq };
                    events.Add(new JsonObject
                    {
                        ["seq"] = seq, ["sandbox"] = "hosted", ["type"] = k % 2 == 0 ? EventTypes.EgressRequest : EventTypes.EgressResponse,
                        ["time"] = DateTimeOffset.UtcNow.ToString("O"), ["data"] = data,
                    });
                }
                var body = JsonDocument.Parse(new JsonObject { ["host"] = "h1", ["stream"] = "s", ["events"] = events }.ToJsonString()).RootElement;
                var first = (b % 2 == 0 ? ingestA : ingestB).IngestAsync(body);
                var second = (b % 2 == 0 ? ingestB : ingestA).IngestAsync(body);
                Assert.Equal((b + 1) * 5, Math.Max(await first, await second));
            }
        });
        await Task.WhenAll(Writer(busA, "a"), Writer(busB, "b"), Host());
        busA.Flush();
        busB.Flush();

        var stored = storeA.ReadEvents(null, 0, 100_000);
        Assert.Equal(4 * Pairs + 200, stored.Count);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((seenA.Count < stored.Count || seenB.Count < stored.Count) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.False(seenA.Lagged);
        Assert.False(seenB.Lagged);
        foreach (var seen in new[] { seenA.Seen, seenB.Seen })
        {
            Assert.Equal(stored.Select(e => e.Id), seen.Select(e => e.Id));
            Assert.Equal(stored.Select(e => e.Data), seen.Select(e => e.Data));
        }
        // Ids: unique, increasing, no gap.
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(e => e.Id));

        var byId = stored.ToDictionary(e => e.Id);
        foreach (var response in stored.Where(e => e.Type is EventTypes.ExecResponse or EventTypes.EgressResponse))
        {
            var named = byId[EventRefs.RequestId(response.Data) ?? throw new Xunit.Sdk.XunitException($"no requestId in {response.Data}")];
            var r = JsonNode.Parse(response.Data)!;
            var q = JsonNode.Parse(named.Data)!;
            if (response.Type == EventTypes.ExecResponse)
            {
                Assert.Equal(EventTypes.ExecRequest, named.Type);
                Assert.Equal((string?)r["who"], (string?)q["who"]);
                Assert.Equal((int)r["n"]!, (int)q["n"]!);
            }
            else
            {
                Assert.Equal(EventTypes.EgressRequest, named.Type);
                Assert.Equal((int)r["n"]! - 1, (int)q["n"]!);
            }
        }
    }

    [Fact]
    public void A_provisional_id_resolves_to_the_final_one_and_bodies_stored_by_it_are_found_by_the_llm_calls_requestId()
    {
        var url = pg.Server.Url(pg.Server.CreateDatabase());
        var (storeA, busA) = Controller(url);
        var (_, busB) = Controller(url);
        busB.Append("other", EventTypes.SandboxStarted); // the two controllers' ids interleave
        var request = busA.Enqueue("box", EventTypes.EgressRequest, new JsonObject { ["path"] = "/v1/messages" });
        Assert.True(request.Id < 0);
        busB.Append("other", EventTypes.SandboxStarted);
        var final = busA.ResolveId(request.Id);
        Assert.True(final > 0);
        storeA.InsertLlmBodies("box", final, new LlmBodies(new LlmBody("q", null, 1, false), new LlmBody("r", null, 1, false)));
        busA.Append("box", EventTypes.LlmCall, new JsonObject { ["requestId"] = request.Id });
        var call = busA.Read("box", 0, 100).Single(e => e.Type == EventTypes.LlmCall);
        Assert.Equal(final, EventRefs.RequestId(call.Data));
        Assert.Equal("q", storeA.FindLlmBodies("box", final)!.Request.Text);
        Assert.Equal(EventTypes.EgressRequest, busA.Read("box", final - 1, 1).Single().Type);
    }
}
