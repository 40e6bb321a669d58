using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Daemon.Events;
using Hive.Daemon.Sandboxes;
using Hive.Runtime.Host;
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

        g.MapGet("/{**path}", (string name, string? path, SandboxManager m, EventBus events) =>
        {
            var (storage, segments, _, _) = m.ResolveFile(name, "/" + path);
            var (file, listing) = Run(() => storage.Read(segments));
            Record(events, name, "/" + path, "read");
            if (file is not null) return Results.Stream(file, "application/octet-stream");
            var a = new JsonArray();
            foreach (var e in listing!)
                a.Add(new JsonObject { ["name"] = e.Name, ["type"] = e.Type, ["size"] = e.Size, ["mtime"] = e.Mtime.ToString("O") });
            return Results.Text(a.ToJsonString(), "application/json");
        }).WithSummary("Read a file (bytes) or list a directory (JSON)");

        g.MapPut("/{**path}", async (string name, string? path, HttpRequest request, SandboxManager m, EventBus events, CancellationToken ct) =>
        {
            var (storage, segments, uid, gid) = m.ResolveFile(name, "/" + path);
            try
            {
                await storage.WriteAsync(segments, request.Body, uid, gid, ct);
            }
            catch (FileOpsException e)
            {
                throw new ApiProblem(e.Status, "File operation failed", $"/{path}: {e.Message}");
            }
            m.FileChanged(name, "/" + path);
            Record(events, name, "/" + path, "write");
            return Results.NoContent();
        }).WithSummary("Write a file (body: its bytes); parent directories are created");

        g.MapDelete("/{**path}", (string name, string? path, SandboxManager m, EventBus events) =>
        {
            var (storage, segments, _, _) = m.ResolveFile(name, "/" + path);
            Run(() => { storage.Delete(segments); return 0; });
            m.FileChanged(name, "/" + path);
            Record(events, name, "/" + path, "unlink");
            return Results.NoContent();
        }).WithSummary("Delete a file or an empty directory");
    }

    private static T Run<T>(Func<T> op)
    {
        try
        {
            return op();
        }
        catch (FileOpsException e)
        {
            throw new ApiProblem(e.Status, "File operation failed", e.Message);
        }
    }

    private static void Record(EventBus events, string sandbox, string path, string op) =>
        events.Append(sandbox, EventTypes.FsRequest, new JsonObject { ["mount"] = null, ["path"] = path, ["op"] = op, ["access"] = "allowed", ["via"] = "api" });
}
