using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Daemon.Events;
using Hive.Daemon.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

/// <summary>The owner's files API: reads and writes a sandbox's mounts, recorded, not subject to the agent's ACLs.</summary>
public static class FileEndpoints
{
    public static void MapFiles(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/sandboxes/{name}/files").WithTags("Files");

        g.MapGet("/{**path}", async (string name, string? path, SandboxManager m, EventBus events, CancellationToken ct) =>
        {
            var read = await m.ReadFileAsync(name, "/" + path, ct);
            Record(events, name, "/" + path, "read");
            if (read.Content is { } file) return Results.Stream(file, "application/octet-stream");
            var a = new JsonArray();
            foreach (var e in read.Listing!)
                a.Add(new JsonObject { ["name"] = e.Name, ["type"] = e.Type, ["size"] = e.Size, ["mtime"] = e.Mtime.ToString("O") });
            return Results.Text(a.ToJsonString(), "application/json");
        }).WithSummary("Read a regular file (bytes) or list a directory (JSON)");

        g.MapPut("/{**path}", async (string name, string? path, HttpRequest request, SandboxManager m, EventBus events, CancellationToken ct) =>
        {
            await m.WriteFileAsync(name, "/" + path, request.Body, ct);
            Record(events, name, "/" + path, "write");
            return Results.NoContent();
        }).WithSummary("Write a regular file (body: its bytes); parent directories are created");

        g.MapDelete("/{**path}", async (string name, string? path, SandboxManager m, EventBus events, CancellationToken ct) =>
        {
            await m.DeleteFileAsync(name, "/" + path, ct);
            Record(events, name, "/" + path, "unlink");
            return Results.NoContent();
        }).WithSummary("Delete a file (of any type) or an empty directory");
    }

    private static void Record(EventBus events, string sandbox, string path, string op) =>
        events.Append(sandbox, EventTypes.FsRequest, new JsonObject { ["mount"] = null, ["path"] = path, ["op"] = op, ["access"] = "allowed", ["via"] = "api" });
}
