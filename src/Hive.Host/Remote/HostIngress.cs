using System.Net.Sockets;
using Hive.Host.Abstractions.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Host.Remote;

/// <summary>
/// <c>/v1/host/sandboxes/{name}/ingress/…</c>: the controller's <c>sandbox.url</c> requests, forwarded unbuffered to
/// port 8080 in the sandbox (what the host's own <see cref="ISandboxHost.Ingress"/> names). The controller inspects
/// MCP traffic and starts the sandbox; this only forwards.
/// </summary>
internal static class HostIngress
{
    private static readonly ForwarderRequestConfig Config = new() { ActivityTimeout = TimeSpan.FromMinutes(30) };

    public static void Map(IEndpointRouteBuilder app, ISandboxHost host, HostedConfigs configs, IHttpForwarder forwarder, ILogger log)
    {
        app.Map(HostRoutes.Prefix + "/sandboxes/{name}/" + HostRoutes.Ingress + "/{**rest}", async context =>
        {
            var name = (string)context.Request.RouteValues["name"]!;
            if (configs.Find(name) is not { } sandbox)
            {
                await Write(context, WireProblem.From(HostException.NotFound($"sandbox {name} is not known on this host: the controller starts it here before forwarding to it")));
                return;
            }
            IngressTarget target;
            try
            {
                target = host.Ingress(sandbox);
            }
            catch (HostException e)
            {
                await Write(context, WireProblem.From(e));
                return;
            }
            context.Request.Path.StartsWithSegments($"{HostRoutes.Prefix}/sandboxes/{name}/{HostRoutes.Ingress}", out var rest);
            var error = await forwarder.SendAsync(context, target.Address.AbsoluteUri, target.Client, Config, new Transformer(rest));
            if (error == ForwarderError.None) return;
            var cause = context.GetForwarderErrorFeature()?.Exception;
            log.LogInformation("ingress {Name}: {Error} {Cause}", name, error, cause?.Message);
            if (context.Response.HasStarted) return;
            var refused = cause is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
                || cause?.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
            var detail = refused
                ? $"nothing is listening on port 8080 in sandbox \"{name}\" (connection refused)"
                : $"forwarding to port 8080 in sandbox \"{name}\" failed ({error}): {cause?.Message ?? "no detail"}";
            var status = error == ForwarderError.RequestTimedOut ? 504 : 502;
            await Write(context, new WireProblem($"https://hive.dev/problems/{status}", status == 504 ? "Sandbox timed out" : "Sandbox unreachable", status, detail));
        });
    }

    private static Task Write(HttpContext context, WireProblem problem)
    {
        context.Response.StatusCode = problem.Status;
        context.Response.ContentType = WireJson.ProblemContentType;
        return context.Response.Body.WriteAsync(WireJson.Bytes(problem)).AsTask();
    }

    /// <summary>The rest of the path and the query, under the sandbox's address; the host header is the sandbox's own.</summary>
    private sealed class Transformer(PathString rest) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext context, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken ct)
        {
            await base.TransformRequestAsync(context, proxyRequest, destinationPrefix, ct);
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, rest.HasValue ? rest : "/", context.Request.QueryString);
            proxyRequest.Headers.Host = null;
        }
    }
}
