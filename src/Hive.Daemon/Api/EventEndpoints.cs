using System.Buffers;
using Hive.Core.Events;
using Hive.Daemon.Events;
using Hive.Daemon.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

/// <summary>The audit log: SSE that resumes by id with nothing lost, or a JSON page with follow=false.</summary>
public static class EventEndpoints
{
    private const int PageSize = 1000;
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/events", (HttpContext c, EventBus bus) => ServeAsync(c, bus, null))
           .WithTags("Events").WithSummary("Events of every sandbox: SSE; ?after=ID or Last-Event-ID resumes; ?types=egress.*,fs.*; ?follow=false for a JSON page; ?follow=false&before=ID|latest pages back from the newest");
        // Events outlive their sandbox: a removed sandbox's log is still served, so no 404 here.
        app.MapGet("/v1/sandboxes/{name}/events", (string name, HttpContext c, EventBus bus) => ServeAsync(c, bus, name)).WithTags("Events").WithSummary("Events of one sandbox; same query as /v1/events");
    }

    private static async Task<IResult> ServeAsync(HttpContext context, EventBus bus, string? sandbox)
    {
        var q = context.Request.Query;
        var after = ParseLong(q["after"], "after") ?? ParseLong(context.Request.Headers["Last-Event-ID"], "Last-Event-ID") ?? 0;
        var filter = EventTypeFilter.Parse(q["types"]);
        var follow = q["follow"].ToString() is not ("false" or "0");
        var limit = (int)Math.Clamp(ParseLong(q["limit"], "limit") ?? PageSize, 1, 10_000);
        if (q.ContainsKey("before"))
        {
            if (follow) throw ApiProblem.BadRequest("before: pages back through stored events; use it with follow=false");
            if (q.ContainsKey("after") || context.Request.Headers.ContainsKey("Last-Event-ID")) throw ApiProblem.BadRequest("before: give either before or after, not both");
            var raw = q["before"].ToString();
            var before = raw == "latest" ? long.MaxValue
                : long.TryParse(raw, out var b) && b >= 0 ? b : throw ApiProblem.BadRequest("before: must be an event id (a non-negative integer) or latest");
            return Page(bus.ReadBefore(sandbox, before, limit, filter));
        }
        if (!follow) return Page(bus.Read(sandbox, after, limit, filter));

        var ct = context.RequestAborted;
        // Subscribe before reading the store, so nothing appended between the two is missed.
        using var subscription = bus.Subscribe(sandbox);
        var sse = Sse.Start(context);
        await sse.CommentAsync("hive events", ct);
        var last = await CatchUpAsync(sse, bus, sandbox, after, filter, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (subscription.Lagged)
                {
                    subscription.ClearLag();
                    last = await CatchUpAsync(sse, bus, sandbox, last, filter, ct);
                    continue;
                }
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                StoredEvent e;
                try
                {
                    e = await subscription.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await sse.CommentAsync("keep-alive", ct);
                    continue;
                }
                if (e.Id <= last) continue;
                if (filter.Matches(e.Type)) await sse.WriteAsync(e.Type, EventBus.ToJson(e), e.Id, ct);
                last = e.Id;
            }
        }
        catch (OperationCanceledException) { }
        return Results.Empty;
    }

    private static async Task<long> CatchUpAsync(Sse sse, EventBus bus, string? sandbox, long after, EventTypeFilter filter, CancellationToken ct)
    {
        while (true)
        {
            var page = bus.Read(sandbox, after, PageSize, filter);
            foreach (var e in page)
            {
                await sse.WriteAsync(e.Type, EventBus.ToJson(e), e.Id, ct);
                after = e.Id;
            }
            if (page.Count < PageSize) return after;
        }
    }

    /// <summary>A JSON page (at most 10,000 events: <c>limit</c> is clamped), written as UTF-8 in one buffer: one write, with its length.</summary>
    private static IResult Page(IReadOnlyList<StoredEvent> events)
    {
        var body = new ArrayBufferWriter<byte>(Math.Max(1024, events.Count * 256));
        EventPageJson.Write(body, events);
        return Results.Bytes(body.WrittenMemory, "application/json");
    }

    private static long? ParseLong(string? value, string name)
    {
        if (string.IsNullOrEmpty(value)) return null;
        return long.TryParse(value, out var v) && v >= 0 ? v : throw ApiProblem.BadRequest($"{name}: must be a non-negative integer event id");
    }
}
