using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HiveClient.Tests;

public class EventStreamTests
{
    private static string Frame(long id, string type = "exec.request", string sandbox = "b1", string extra = "\"command\":[\"ls\"]") =>
        $"id: {id}\nevent: {type}\ndata: {{\"id\":{id},\"ts\":\"2025-05-01T10:00:0{id % 10}Z\",\"sandbox\":\"{sandbox}\",\"type\":\"{type}\",{extra}}}\n\n";

    private static async Task<List<SandboxEvent>> Take(IAsyncEnumerable<SandboxEvent> stream, int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var list = new List<SandboxEvent>();
        await foreach (var e in stream.WithCancellation(cts.Token))
        {
            list.Add(e);
            if (list.Count == count) break;
        }
        return list;
    }

    [Fact]
    public async Task ParsesEventsWithCommentsMultiLineDataAndFields()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/sandboxes/{name}/events", async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await TestDaemon.Sse(ctx, ": keep-alive\n\n");
            await TestDaemon.Sse(ctx, "id: 41\nevent: egress.request\ndata: {\"id\":41,\"ts\":\"2025-05-01T10:00:00Z\",\"sandbox\":\"b1\",\n" +
                                      "data: \"type\":\"egress.request\",\"access\":\"denied\",\"host\":\"evil.com\",\"port\":443,\"rule\":null,\"secrets\":[\"gh\"]}\n\n");
            await TestDaemon.Sse(ctx, ": keep-alive\n\n" + Frame(42));
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
        }));
        using var conn = d.Connect();
        var sb = new Sandbox(conn, new SandboxInfo { Name = "b1" }, created: false);

        var events = await Take(sb.GetEventsStream(), 2, TimeSpan.FromSeconds(10));

        var e = events[0];
        Assert.Equal(41, e.Id);
        Assert.Equal(new DateTimeOffset(2025, 5, 1, 10, 0, 0, TimeSpan.Zero), e.Ts);
        Assert.Equal("b1", e.Sandbox);
        Assert.Equal("egress.request", e.Type);
        Assert.Equal("denied", e.Get<string>("access"));
        Assert.Equal(443, e.Get<int>("port"));
        Assert.Null(e.Get<int?>("rule"));
        Assert.Equal(["gh"], e.Get<string[]>("secrets")!);
        Assert.Equal(["gh"], e.Get<List<string>>("secrets")!);
        Assert.Null(e.Get<string>("missing"));
        Assert.Equal("evil.com", (string?)e["host"]);
        Assert.Equal(42, events[1].Id);
        Assert.Equal(["ls"], events[1].Get<string[]>("command")!);
    }

    [Fact]
    public async Task ReconnectsAfterADroppedConnectionWithLastEventIdAndNoDuplicatesOrGaps()
    {
        var requests = new ConcurrentQueue<(string? lastEventId, string? after)>();
        var clientHasThree = new TaskCompletionSource();
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/events", async (HttpContext ctx) =>
        {
            var lastId = ctx.Request.Headers["Last-Event-ID"].FirstOrDefault();
            requests.Enqueue((lastId, ctx.Request.Query["after"].FirstOrDefault()));
            ctx.Response.ContentType = "text/event-stream";
            if (lastId is null)
            {
                await TestDaemon.Sse(ctx, Frame(1) + Frame(2) + Frame(3));
                // Once the client has read them: half an event, then the connection dies mid-stream (RST).
                await clientHasThree.Task.WaitAsync(TimeSpan.FromSeconds(10));
                await TestDaemon.Sse(ctx, "id: 4\nevent: exec.request\ndata: {\"id\":4,");
                ctx.Abort();
                return;
            }
            // The daemon resends from what it thinks is the resume point, overlapping by one.
            var from = long.Parse(lastId);
            for (var id = from; id <= 6; id++) await TestDaemon.Sse(ctx, Frame(id));
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
        }));
        using var conn = d.Connect();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var ids = new List<long>();
        await foreach (var e in conn.GetEventsStream().WithCancellation(cts.Token))
        {
            ids.Add(e.Id);
            if (e.Id == 3) clientHasThree.SetResult();
            if (ids.Count == 6) break;
        }

        Assert.Equal([1L, 2, 3, 4, 5, 6], ids);
        var log = requests.ToArray();
        Assert.Equal(2, log.Length);
        Assert.Equal((null, null), log[0]);
        Assert.Equal(("3", "3"), log[1]);
    }

    [Fact]
    public async Task KeepsRetryingWhileTheDaemonIsDownAndResumesWhenItIsBack()
    {
        var port = ErrorTests.FreePort();
        var lastIds = new ConcurrentQueue<string?>();
        void Routes(WebApplication app, long first, long last) => app.MapGet("/v1/sandboxes/{name}/events", async (HttpContext ctx) =>
        {
            lastIds.Enqueue(ctx.Request.Headers["Last-Event-ID"].FirstOrDefault());
            ctx.Response.ContentType = "text/event-stream";
            for (var id = first; id <= last; id++) await TestDaemon.Sse(ctx, Frame(id));
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
        });

        var first = await TestDaemon.StartAsync(app => Routes(app, 1, 2), port);
        using var conn = new HiveConnection(first.Url, "t");
        var sb = new Sandbox(conn, new SandboxInfo { Name = "b1" }, created: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var e = sb.GetEventsStream(types: "exec.*", after: 0).GetAsyncEnumerator(cts.Token);

        Assert.True(await e.MoveNextAsync());
        Assert.Equal(1, e.Current.Id);
        Assert.True(await e.MoveNextAsync());
        Assert.Equal(2, e.Current.Id);

        // The daemon goes away; the enumerator keeps retrying (connection refused) until a new one listens.
        var pending = e.MoveNextAsync().AsTask();
        await first.DisposeAsync();
        await Task.Delay(1000);
        Assert.False(pending.IsCompleted);
        await using var second = await TestDaemon.StartAsync(app => Routes(app, 2, 4), port);

        Assert.True(await pending);
        Assert.Equal(3, e.Current.Id);
        Assert.True(await e.MoveNextAsync());
        Assert.Equal(4, e.Current.Id);
        Assert.Equal("0", lastIds.First());
        Assert.Equal("2", lastIds.Last());
    }

    [Fact]
    public async Task FirstConnectionFailureIsReportedNotRetried()
    {
        using var conn = new HiveConnection(new Uri($"http://127.0.0.1:{ErrorTests.FreePort()}"), "t");
        await Assert.ThrowsAsync<HiveUnavailableException>(() => Take(conn.GetEventsStream(), 1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AuthErrorOnStreamIsThrown()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/events", (HttpContext ctx) =>
            TestDaemon.Problem(ctx, 401, "Unauthorized", "Wrong token.")));
        using var conn = d.Connect();
        var e = await Assert.ThrowsAsync<HiveAuthException>(() => Take(conn.GetEventsStream(), 1, TimeSpan.FromSeconds(10)));
        Assert.Equal("Wrong token.", e.Message);
    }

    [Fact]
    public async Task PageRequestsFollowFalseWithQuery()
    {
        string? query = null;
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/sandboxes/{name}/events", (HttpContext ctx) =>
        {
            query = ctx.Request.QueryString.Value;
            return TestDaemon.Json(ctx, """[{"id":5,"ts":"2025-05-01T10:00:00Z","sandbox":"b1","type":"fs.request","op":"open"},{"id":9,"ts":"2025-05-01T10:00:01Z","sandbox":"b1","type":"fs.response"}]""");
        }));
        using var conn = d.Connect();
        var sb = new Sandbox(conn, new SandboxInfo { Name = "b1" }, created: false);

        var page = await sb.GetEventsAsync("fs.*,exec.request", after: 4, limit: 2);

        Assert.Equal([5L, 9], page.Select(e => e.Id));
        Assert.Equal("open", page[0].Get<string>("op"));
        Assert.Equal("?types=fs.%2A%2Cexec.request&after=4&follow=false&limit=2", query);
    }
}
