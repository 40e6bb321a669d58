using Hive.Daemon.Ingress;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

public static class IngressEndpoints
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    /// <summary><c>/sandboxes/{name}/…</c> (sandbox.url): everything below it goes to port 8080 in the sandbox, bearer token required.</summary>
    public static void MapIngress(this IEndpointRouteBuilder app)
    {
        static Task Forward(string name, HttpContext context, SandboxIngress ingress) => ingress.ForwardAsync(context, name);
        app.MapMethods("/sandboxes/{name}", Methods, Forward).WithTags("Ingress").ExcludeFromDescription();
        app.MapMethods("/sandboxes/{name}/{**path}", Methods, (string name, string? path, HttpContext context, SandboxIngress ingress) => ingress.ForwardAsync(context, name))
            .WithTags("Ingress")
            .WithSummary("sandbox.url: reverse proxy to port 8080 inside the sandbox (the default image's MCP server); streams unbuffered");
    }
}
