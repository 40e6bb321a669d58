using System.Threading.Channels;
using Hive.Host.Abstractions.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Host.Remote;

/// <summary>
/// The host's held requests for the controller: the waiting list, one request's state, a watch stream (frames: every
/// waiting request, a <c>synced</c> marker, then changes), and claim / renew / unclaim / decide, the controller's
/// <see cref="IApprovalQueue"/> calls made here against the real requests. A claim is a lease (<see cref="ClaimLeases"/>):
/// a controller that dies mid-decision leaves no request claimed for good.
/// </summary>
internal static class HostApprovals
{
    /// <param name="stopping">Ends watch streams when the host stops (they never end by themselves).</param>
    /// <param name="claimed">The controllers' claims, each released unless renewed within its lease.</param>
    public static void Map(RouteGroupBuilder g, IApprovalQueue approvals, ClaimLeases claimed, CancellationToken stopping)
    {

        g.MapGet("/approvals", () => HostApi.Json(approvals.Pending().Select(ApprovalWire.Write).ToList()));
        g.MapGet("/approvals/{id}", (string id) =>
        {
            var held = approvals.Find(id) ?? claimed.Find(id);
            var outcome = held is null ? approvals.Decided(id) : null;
            return HostApi.Json(new WireApprovalState(held is null ? null : ApprovalWire.Write(held), outcome is null ? null : WireApprovalOutcome.From(outcome)));
        });
        g.MapPost("/approvals/{id}/claim", (string id) =>
            HostApi.Json(new WireClaim(claimed.TryClaim(id), (long)claimed.Lease.TotalMilliseconds)));
        g.MapPost("/approvals/{id}/renew", (string id) => HostApi.Json(new WireFlag(claimed.Renew(id))));
        g.MapPost("/approvals/{id}/unclaim", (string id) =>
        {
            claimed.Unclaim(id);
            return Results.NoContent();
        });
        g.MapPost("/approvals/{id}/decide", async (string id, HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireDecide>(r.Body, "decide", r.HttpContext.RequestAborted);
            if (claimed.Take(id) is not { } held)
                throw HostException.Conflict($"approval {id} is not claimed on this host (or its claim ran out unrenewed): claim it before deciding");
            approvals.Decide(held, body.Outcome.ToOutcome(), body.Details);
            return Results.NoContent();
        });

        g.MapGet(HostRoutes.ApprovalsWatch[HostRoutes.Prefix.Length..], async (HttpContext c) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted, stopping);
            var ct = linked.Token;
            using var watch = approvals.Watch(); // before listing: nothing held in between is missed
            c.Response.ContentType = HostStreams.ContentType;
            await c.Response.StartAsync(ct);
            var writer = c.Response.BodyWriter;
            try
            {
                foreach (var held in approvals.Pending())
                    Frames.Write(writer, FrameType.Json, WireJson.Bytes(new WireApprovalChange("pending", ApprovalWire.Write(held), null)));
                await Frames.WriteJsonAsync(writer, FrameType.Json, new WireApprovalChange("synced", null, null), ct);
                await foreach (var change in watch.Reader.ReadAllAsync(ct))
                {
                    var message = new WireApprovalChange(change.Type, ApprovalWire.Write(change.Request),
                        change.Outcome is null ? null : WireApprovalOutcome.From(change.Outcome));
                    await Frames.WriteJsonAsync(writer, FrameType.Json, message, ct);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException) { }
            return Results.Empty;
        });
    }
}
