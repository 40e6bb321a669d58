using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Cluster;

/// <summary><c>POST /v1/cluster/events</c> on the cluster listener (mTLS, hosts only): <c>{ host, stream, events }</c> → <c>{ acked }</c>.</summary>
public static class EventIngestEndpoints
{
    public static IEndpointConventionBuilder MapClusterEvents(this IEndpointRouteBuilder app, EventIngest ingest) =>
        app.MapPost("/v1/cluster/events", async (HttpContext context) =>
        {
            JsonDocument body;
            try
            {
                body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            }
            catch (JsonException e)
            {
                return Results.Problem(statusCode: 400, title: "Bad request", detail: $"body: not JSON ({e.Message})");
            }
            using (body)
            {
                try
                {
                    var acked = await ingest.IngestAsync(body.RootElement);
                    return Results.Json(new { acked });
                }
                catch (EventIngestException e)
                {
                    return Results.Problem(statusCode: 400, title: "Bad request", detail: e.Message);
                }
                catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    // Not stored: the host keeps the batch and pushes it again.
                    return Results.Problem(statusCode: 503, title: "Service unavailable", detail: $"the events could not be stored: {e.Message}");
                }
            }
        });
}
