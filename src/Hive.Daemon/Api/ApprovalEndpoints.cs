using System.Text.Json.Nodes;
using Hive.Daemon.Approvals;
using Hive.Daemon.Inspector;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

/// <summary>Requests held for a person (docs/api.md, "Approvals"): the waiting list, followed by SSE, and the answers.</summary>
public static class ApprovalEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void MapApprovals(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/approvals").WithTags("Approvals");
        g.MapGet("", (HttpContext c, IApprovalQueue approvals) => ListAsync(c, approvals))
         .WithSummary("Requests waiting for a decision, across sandboxes (?sandbox=NAME); SSE (Accept: text/event-stream or ?follow=true) follows new ones and decisions");
        g.MapPost("/{id}", async (string id, HttpContext c, ApprovalDecider decider) =>
        {
            var body = await HttpBody.ReadJsonAsync(c.Request, c.RequestAborted);
            var result = await decider.DecideAsync(id, body, Who(c), c.RequestAborted);
            return Results.Text(result.ToJsonString(), "application/json");
        }).WithSummary("Answer a held request: { decision: allow|deny, scope: once|sandbox, rule?: { methods?, paths? } }; 404 unknown id, 409 already decided");
    }

    /// <summary>Who answered, for the egress.approval.decided event: the API token, or one Inspector session (a prefix of its hashed key).</summary>
    public static string Who(HttpContext c) => InspectorAuth.Session(c) is { } s ? "inspector:" + s.Key[..Math.Min(8, s.Key.Length)] : "token";

    private static async Task<IResult> ListAsync(HttpContext context, IApprovalQueue approvals)
    {
        var q = context.Request.Query;
        var sandbox = q["sandbox"].ToString() is { Length: > 0 } name ? name : null;
        var follow = q["follow"].ToString() is "true" or "1" || (Sse.Wanted(context.Request) && q["follow"].ToString() is not ("false" or "0"));
        if (!follow)
        {
            var list = new JsonArray();
            foreach (var held in approvals.Pending())
                if (sandbox is null || held.Sandbox == sandbox) list.Add(held.ToJson());
            return Results.Text(list.ToJsonString(), "application/json");
        }

        var ct = context.RequestAborted;
        using var watch = approvals.Watch(); // before listing: nothing held in between is missed
        var sse = Sse.Start(context);
        await sse.CommentAsync("hive approvals", ct);
        var sent = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var held in approvals.Pending())
                if ((sandbox is null || held.Sandbox == sandbox) && sent.Add(held.Id))
                    await sse.WriteAsync("approval", held.ToJson().ToJsonString(), null, ct);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                ApprovalChange change;
                try
                {
                    change = await watch.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await sse.CommentAsync("keep-alive", ct);
                    continue;
                }
                catch (System.Threading.Channels.ChannelClosedException)
                {
                    break; // the daemon is stopping
                }
                if (sandbox is not null && change.Request.Sandbox != sandbox) continue;
                if (change.Type == "pending")
                {
                    if (sent.Add(change.Request.Id)) await sse.WriteAsync("approval", change.Request.ToJson().ToJsonString(), null, ct);
                }
                else
                {
                    sent.Remove(change.Request.Id);
                    var o = change.Outcome!;
                    var data = new JsonObject
                    {
                        ["id"] = change.Request.Id, ["sandbox"] = change.Request.Sandbox,
                        ["decision"] = o.Decision, ["by"] = o.By, ["reason"] = o.Reason,
                    };
                    await sse.WriteAsync("approval.decided", data.ToJsonString(), null, ct);
                }
            }
        }
        catch (OperationCanceledException) { }
        return Results.Empty;
    }
}
