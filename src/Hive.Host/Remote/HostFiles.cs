using Hive.Host.Abstractions.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Host.Remote;

/// <summary>
/// The owner's files API of one sandbox: a read answers the file's bytes as they are read (application/octet-stream)
/// or a directory's listing (JSON); a write's body is a header frame { config, path } then the file's bytes, passed to
/// the host as they arrive.
/// </summary>
internal static class HostFiles
{
    public const string ListingContentType = "application/json";
    public const string ContentContentType = "application/octet-stream";

    public static void Map(RouteGroupBuilder s, ISandboxHost host, HostedConfigs configs)
    {
        s.MapPost("/" + HostRoutes.Ops.ReadFile, async (string name, HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireFile>(r.Body, "files/read", r.HttpContext.RequestAborted);
            var read = await host.ReadFileAsync(configs.Hosted(name, body.Config), body.Path, r.HttpContext.RequestAborted);
            if (read.Content is { } content) return Results.Stream(content, ContentContentType);
            return HostApi.Json(read.Listing!.Select(e => new WireFileEntry(e.Name, e.Type, e.Size, e.Mtime)).ToList());
        });

        s.MapPost("/" + HostRoutes.Ops.WriteFile, async (string name, HttpRequest r) =>
        {
            // A file of any size, at the pace the controller's client sends it (the controller's API sets the limits).
            HostStreams.Unlimited(r.HttpContext);
            var ct = r.HttpContext.RequestAborted;
            var reader = new FrameReader(r.Body);
            if (await reader.ReadAsync(ct) is not { Type: FrameType.Json } first)
                throw new HostException(HostErrorKind.Invalid, "Bad request", "files/write: the body must start with a JSON header frame { config, path }");
            var header = WireJson.Read<WireFile>(first.Payload.Span, "files/write");
            var sandbox = configs.Hosted(name, header.Config);
            await using var content = new PrefixedStream(reader.Leftover, r.Body);
            await host.WriteFileAsync(sandbox, header.Path, content, ct);
            return Results.NoContent();
        });

        s.MapPost("/" + HostRoutes.Ops.DeleteFile, async (string name, HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireFile>(r.Body, "files/delete", r.HttpContext.RequestAborted);
            await host.DeleteFileAsync(configs.Hosted(name, body.Config), body.Path, r.HttpContext.RequestAborted);
            return Results.NoContent();
        });
    }
}
