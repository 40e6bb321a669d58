using System.Globalization;
using System.Text.Json.Nodes;
using Hive.Daemon.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

/// <summary>
/// <c>GET /v1/cluster</c> on the public API (token auth): which role this daemon plays, whether it leads (runs TTL,
/// lost-host detection and retention), and the hosts it knows with their status and how many sandboxes each holds.
/// A daemon of role <c>all</c> answers with no hosts and always leads.
/// </summary>
public static class ClusterEndpoints
{
    public static void MapClusterStatus(this IEndpointRouteBuilder app, string role, Func<bool> leads)
    {
        app.MapGet("/v1/cluster", (IHiveStore store) =>
        {
            var placed = role == "controller" ? store.CountSandboxesByHost() : new Dictionary<string, int>();
            var hosts = new JsonArray();
            if (role == "controller")
            {
                foreach (var h in store.ListHosts().OrderBy(h => h.Name, StringComparer.Ordinal))
                {
                    hosts.Add(new JsonObject
                    {
                        ["name"] = h.Name,
                        ["status"] = h.Status,
                        ["advertise"] = h.Advertise.ToString(),
                        ["capacity"] = h.Capacity,
                        ["sandboxes"] = placed.GetValueOrDefault(h.Name),
                        ["labels"] = new JsonObject(h.Labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)JsonValue.Create(l.Value)))),
                        ["lastSeen"] = h.LastSeen.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture),
                    });
                }
            }
            return Results.Text(new JsonObject { ["role"] = role, ["leader"] = leads(), ["hosts"] = hosts }.ToJsonString(), "application/json");
        }).WithTags("Cluster");
    }
}
