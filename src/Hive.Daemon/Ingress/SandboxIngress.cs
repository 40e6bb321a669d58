using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Hive.Core.Events;
using Hive.Daemon.Api;
using Hive.Daemon.Events;
using Hive.Daemon.Sandboxes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Daemon.Ingress;

/// <summary>
/// <c>sandbox.url</c>: <c>/sandboxes/{name}/…</c> reverse-proxied to port 8080 inside the sandbox, unbuffered in both
/// directions (MCP's SSE streams pass as they come). A stopped sandbox is started first, as exec does. MCP tool
/// calls passing through become exec.request / exec.response events.
/// </summary>
public sealed class SandboxIngress(IHttpForwarder forwarder, SandboxManager manager, ISandboxHost host, EventBus events, ILogger<SandboxIngress> log)
{
    public const string Prefix = "/sandboxes";
    private const long MaxInspectedBody = 8 * 1024 * 1024;
    private const long StartupGrace = 10_000; // ms
    private readonly ConcurrentDictionary<string, long> _listening = new(StringComparer.Ordinal);

    // A bash call may run 600 s before its answer's first byte; MCP's GET stream may idle longer still.
    private static readonly ForwarderRequestConfig Config = new() { ActivityTimeout = TimeSpan.FromMinutes(30) };

    public async Task ForwardAsync(HttpContext context, string name)
    {
        var ct = context.RequestAborted;
        var (sandbox, startedAt) = await manager.StartForIngressAsync(name, ct);
        var ingress = host.Ingress(SandboxManager.Hosted(sandbox));
        var target = ingress.Address;
        // Just started (by this request or an API call a moment ago): give the server inside time to listen.
        // Once it has accepted a connection after this start, later requests go straight through.
        var uptime = Environment.TickCount64 - startedAt;
        if (startedAt != 0 && uptime < StartupGrace && _listening.GetValueOrDefault(name) != startedAt)
        {
            if (await host.IngressReadyAsync(SandboxManager.Hosted(sandbox), TimeSpan.FromMilliseconds(StartupGrace - uptime), ct)) _listening[name] = startedAt;
        }

        context.Request.Path.StartsWithSegments(Prefix + "/" + name, out var matched, out var rest);
        using var activity = manager.Activity(name);

        McpExchange? exchange = null;
        if (await ReadInspectableBodyAsync(context.Request, ct) is { } body)
        {
            var secrets = ToolCallRedaction.SecretValues(sandbox.Config, host.SecretValues(name));
            exchange = McpExchange.Begin(name, body, context.Request.Headers["Mcp-Session-Id"].ToString() is { Length: > 0 } s ? s : null, secrets, events);
        }
        var originalBody = context.Response.Body;
        if (exchange is not null) context.Response.Body = new ObservedResponseStream(originalBody, context.Response, exchange);

        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, target.AbsoluteUri, ingress.Client, Config, new IngressTransformer(matched, rest));
        }
        finally
        {
            context.Response.Body = originalBody;
        }
        string? failure = null;
        if (error != ForwarderError.None)
        {
            var cause = context.GetForwarderErrorFeature()?.Exception;
            failure = Describe(name, error, cause);
            log.LogInformation("sandbox.url {Name}: {Error} {Cause}", name, error, cause?.Message);
            if (!context.Response.HasStarted)
            {
                var status = error == ForwarderError.RequestTimedOut ? 504 : 502;
                await ApiMiddleware.WriteAsync(context, status, status == 504 ? "Sandbox timed out" : "Sandbox unreachable", failure, null);
            }
        }
        exchange?.Finish(failure);
    }

    /// <summary>
    /// The request body, read into memory when it may hold MCP messages (JSON, or small), so its tool calls are seen
    /// before the sandbox acts on them; then replayed to the forwarder. Large non-JSON bodies stream through as they are.
    /// </summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadInspectableBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (!HttpMethods.IsPost(request.Method)) return null;
        var json = request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
        if (!json && request.ContentLength is null or > MaxInspectedBody) return null;
        var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        request.Body = new MemoryStream(buffer.GetBuffer(), 0, (int)buffer.Length, writable: false);
        return bytes;
    }

    private static string Describe(string name, ForwarderError error, Exception? cause)
    {
        var refused = cause is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
            || cause?.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
        if (refused || error == ForwarderError.Request && cause is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
        {
            return $"nothing is listening on port 8080 in sandbox \"{name}\" (connection refused). hive/base serves its MCP server there; " +
                   "a sandbox from another image is reached at sandbox.url only if it listens on 0.0.0.0:8080.";
        }
        return error switch
        {
            ForwarderError.RequestTimedOut => $"sandbox \"{name}\" did not answer on port 8080 in time",
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled => "the client went away",
            _ => $"forwarding to port 8080 in sandbox \"{name}\" failed ({error}): {cause?.Message ?? "no detail"}",
        };
    }
}
