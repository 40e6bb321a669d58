using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Daemon.Cluster;
using Hive.Daemon.Events;
using Hive.Daemon.Store;
using Hive.Host.Outbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hive.Daemon.Tests.Outbox;

/// <summary>
/// A host's outbox pushing to a real controller endpoint (Kestrel, SQLite store, event bus) that is away at first, then
/// loses answers after storing, then restarts: every event arrives once, in order, with the ids it names translated.
/// </summary>
public sealed class OutboxPusherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-pusher-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A controller: store, bus and the ingestion endpoint; the first <paramref name="loseAnswers"/> pushes are stored but answered 503.</summary>
    private sealed class TestController : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public SqliteStore Store { get; }
        public EventBus Bus { get; }
        public int Requests;

        private TestController(WebApplication app, SqliteStore store, EventBus bus)
        {
            _app = app;
            Store = store;
            Bus = bus;
        }

        public static async Task<TestController> StartAsync(string db, int port, int loseAnswers)
        {
            var store = new SqliteStore(db);
            var bus = new EventBus(store);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
            var app = builder.Build();
            var controller = new TestController(app, store, bus);
            app.Use(async (context, next) =>
            {
                if (Interlocked.Increment(ref controller.Requests) > loseAnswers)
                {
                    await next(context);
                    return;
                }
                // Stored, then the answer is lost: the host must send the batch again and the controller keep it once.
                var original = context.Response.Body;
                context.Response.Body = new MemoryStream();
                await next(context);
                context.Response.Body = original;
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.ContentLength = 0;
            });
            app.MapClusterEvents(new EventIngest(bus, store));
            await app.StartAsync();
            return controller;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            Bus.Dispose();
            Store.Dispose();
        }
    }

    private static void AppendPairs(EventOutbox outbox, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            var request = outbox.Append("box", EventTypes.EgressRequest, new JsonObject { ["n"] = i }.ToJsonString());
            if (i % 25 == 0)
            {
                outbox.StoreLlmBodies("box", request, new LlmBodies(new LlmBody($"q{i}", null, 2, false), new LlmBody($"r{i}", null, 2, false)));
                outbox.Append("box", EventTypes.LlmCall, new JsonObject { ["requestId"] = request, ["n"] = i }.ToJsonString());
            }
            outbox.Append("box", EventTypes.EgressResponse, new JsonObject { ["requestId"] = request, ["n"] = i }.ToJsonString());
        }
    }

    private static async Task DrainedAsync(EventOutbox outbox, OutboxPusher pusher)
    {
        outbox.Flush();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (pusher.Acked < outbox.LastSeq && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(outbox.LastSeq, pusher.Acked);
        Assert.Equal(0, outbox.Count());
    }

    [Fact]
    public async Task Events_reach_a_controller_that_was_away_lost_answers_and_restarted_once_each_in_order()
    {
        var port = FreePort();
        var db = Path.Combine(_dir, "hive.db");
        using var outbox = new EventOutbox(Path.Combine(_dir, EventOutbox.FileName));
        var options = new OutboxPusherOptions { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200), MaxEvents = 50 };
        await using var pusher = new OutboxPusher(outbox, new Uri($"http://127.0.0.1:{port}"), "host-1", new SocketsHttpHandler(), options: options);
        pusher.Start();

        // 1. Nobody listens: the events wait in the outbox.
        AppendPairs(outbox, 0, 100);
        outbox.Flush();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (pusher.Failures < 3 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(pusher.Failures >= 3);
        Assert.Equal(0, pusher.Acked);

        // 2. The controller comes, and the answers to its first three pushes are lost after storing.
        var controller = await TestController.StartAsync(db, port, loseAnswers: 3);
        controller.Bus.Append("local", EventTypes.SandboxStarted, new JsonObject()); // the controller's own ids move on
        AppendPairs(outbox, 100, 100);
        await DrainedAsync(outbox, pusher);
        Assert.True(controller.Requests > 3);

        // 3. The controller goes away and comes back (a restart on the same database), while the host keeps appending.
        await controller.DisposeAsync();
        AppendPairs(outbox, 200, 100);
        outbox.Flush();
        await Task.Delay(300);
        controller = await TestController.StartAsync(db, port, loseAnswers: 1);
        AppendPairs(outbox, 300, 100);
        await DrainedAsync(outbox, pusher);

        var stored = controller.Bus.Read("box", 0, 100_000);
        await controller.DisposeAsync();
        using var store = new SqliteStore(db);
        var requests = stored.Where(e => e.Type == EventTypes.EgressRequest).ToList();
        Assert.Equal(Enumerable.Range(0, 400), requests.Select(e => (int)JsonNode.Parse(e.Data)!["n"]!));
        var byId = stored.ToDictionary(e => e.Id);
        var responses = stored.Where(e => e.Type == EventTypes.EgressResponse).ToList();
        Assert.Equal(Enumerable.Range(0, 400), responses.Select(e => (int)JsonNode.Parse(e.Data)!["n"]!));
        foreach (var e in responses.Concat(stored.Where(e => e.Type == EventTypes.LlmCall)))
        {
            var request = byId[EventRefs.RequestId(e.Data)!.Value];
            Assert.Equal(EventTypes.EgressRequest, request.Type);
            Assert.Equal((int)JsonNode.Parse(e.Data)!["n"]!, (int)JsonNode.Parse(request.Data)!["n"]!);
        }
        var calls = stored.Where(e => e.Type == EventTypes.LlmCall).ToList();
        Assert.Equal(16, calls.Count);
        foreach (var call in calls)
        {
            var n = (int)JsonNode.Parse(call.Data)!["n"]!;
            Assert.Equal($"q{n}", store.FindLlmBodies("box", EventRefs.RequestId(call.Data)!.Value)!.Request.Text);
        }
        Assert.Equal(outbox.LastSeq, store.HostEventMark($"host-1/{outbox.Stream}"));
    }
}
