using System.Text.Json.Nodes;
using Hive.Daemon.Api;
using Hive.Host.Abstractions.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Cluster;

/// <summary>
/// The controller's cluster routes for hosts (docs/cluster.md). Served only on <c>cluster.listen</c>, whose mTLS lets in
/// nothing but certificates of role host from the cluster CA: the composition restricts the group to that port.
/// </summary>
public static class ClusterHostEndpoints
{
    public static RouteGroupBuilder MapClusterHosts(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/cluster").WithTags("Cluster").ExcludeFromDescription();
        g.MapPut("/hosts/{name}", async (string name, HttpRequest request, HostRegistry registry, CancellationToken ct) =>
        {
            if (!HostHeartbeat.IsValidName(name))
                throw ApiProblem.BadRequest($"host name \"{name}\" is invalid: use 1-253 letters, digits, '.', '_' or '-', starting with a letter or digit");
            var body = await HttpBody.ReadJsonAsync(request, ct);
            var beat = HostHeartbeat.Parse(body.Span, out var errors) ?? throw ApiProblem.Invalid(errors, "Invalid heartbeat");
            var answer = registry.Heartbeat(name, beat);
            return Results.Text(new JsonObject
            {
                ["status"] = "ok",
                ["heartbeatSeconds"] = registry.Interval.TotalSeconds,
                ["unknown"] = new JsonArray([.. answer.Unknown.Select(n => JsonValue.Create(n))]),
            }.ToJsonString(), "application/json");
        });
        return g;
    }
}
