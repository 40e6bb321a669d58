using System.Text.Json.Nodes;
using Hive.Core.Config;
using Hive.Daemon.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

public static class SandboxEndpoints
{
    public static void MapSandboxes(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/sandboxes").WithTags("Sandboxes");

        g.MapGet("", (SandboxManager m, SandboxJson json) =>
        {
            var list = new JsonArray();
            foreach (var s in m.List()) list.Add(json.Sandbox(s));
            return Results.Text(list.ToJsonString(), "application/json");
        }).WithSummary("List sandboxes");

        g.MapPut("/{name}", async (string name, HttpRequest request, SandboxManager m, SandboxJson json, CancellationToken ct) =>
        {
            var body = await HttpBody.ReadJsonAsync(request, ct);
            var (sandbox, created) = await m.GetOrCreateAsync(name, body, ct);
            return Results.Text(json.Sandbox(sandbox).ToJsonString(), "application/json", statusCode: created ? 201 : 200);
        }).WithSummary("Get or create a sandbox (body: SandboxConfig). 201 created, 200 existed: its config is kept.");

        g.MapGet("/{name}", (string name, SandboxManager m, SandboxJson json) =>
            Results.Text(json.Sandbox(m.Get(name)).ToJsonString(), "application/json")).WithSummary("Get a sandbox");

        g.MapDelete("/{name}", async (string name, SandboxManager m, CancellationToken ct) =>
        {
            await m.DeleteAsync(name, ct);
            return Results.NoContent();
        }).WithSummary("Stop and remove a sandbox; its volumes stay");

        g.MapGet("/{name}/config", (string name, SandboxManager m) =>
            Results.Text(ConfigJson.Serialize(m.Get(name).Config, redact: true), "application/json"))
          .WithSummary("Current config, override values redacted");

        g.MapPut("/{name}/config", async (string name, HttpRequest request, SandboxManager m, CancellationToken ct) =>
        {
            var body = await HttpBody.ReadJsonAsync(request, ct);
            var result = await m.ApplyConfigAsync(name, body, ct);
            return Results.Text(SandboxJson.Apply(result).ToJsonString(), "application/json");
        }).WithSummary("Apply a config: atomic; 409 while another apply runs; 422 when an immutable field changes");
    }
}
