using Hive.Host.Abstractions.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Host.Remote;

/// <summary>
/// The host API (<see cref="HostRoutes"/>): every <see cref="ISandboxHost"/> operation of one host, served to the
/// controller. Authentication is the listener's (mutual TLS, client role controller); this maps routes only.
/// A <see cref="HostException"/> answers a problem carrying its kind; inside a stream, an error frame.
/// </summary>
public static class HostApi
{
    /// <param name="claimLease">How long a controller's claim on a held request lasts unrenewed (<see cref="ClaimLeases.DefaultLease"/>).</param>
    public static RouteGroupBuilder MapHostApi(this IEndpointRouteBuilder app, ISandboxHost host, TimeSpan? claimLease = null)
    {
        var forwarder = app.ServiceProvider.GetService<IHttpForwarder>()
            ?? throw new InvalidOperationException("MapHostApi forwards sandbox.url requests with YARP: call services.AddHttpForwarder() first");
        var log = app.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("Hive.Host.Remote") ?? NullLogger.Instance;
        var configs = new HostedConfigs();

        var g = app.MapGroup(HostRoutes.Prefix);
        g.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            try
            {
                return await next(context);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                return Results.Empty;
            }
            catch (HostException e) when (!http.Response.HasStarted)
            {
                return Problem(WireProblem.From(e));
            }
            catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
            {
                log.LogWarning(e, "host API {Method} {Path} failed", http.Request.Method, http.Request.Path);
                return Problem(WireProblem.Internal(e.Message));
            }
        });

        g.MapPost("/startup", async (HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireStartup>(r.Body, "startup", r.HttpContext.RequestAborted);
            var known = body.Known.Select(s => configs.Hosted(s.Name, s.Config)).ToList();
            var running = await host.StartupAsync(known, r.HttpContext.RequestAborted);
            return Json(new WireRunningSet([.. running]));
        });
        g.MapPost("/check", async (HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireCheck>(r.Body, "check", r.HttpContext.RequestAborted);
            var config = ConfigWire.Read(body.Config, "check");
            var errors = body.StorageCredentials is { } credentials
                ? await host.CheckAsync(config, credentials, r.HttpContext.RequestAborted)
                : await host.CheckAsync(config, r.HttpContext.RequestAborted);
            return Json(new WireErrors([.. errors.Select(e => new WireError(e.Path, e.Message))]));
        });
        g.MapPost("/shutdown", async (HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireShutdown>(r.Body, "shutdown", r.HttpContext.RequestAborted);
            await host.ShutdownAsync([.. body.Sandboxes.Select(s => configs.Hosted(s.Name, s.Config))], r.HttpContext.RequestAborted);
            return Results.NoContent();
        });

        var s = g.MapGroup("/sandboxes/{name}");
        s.MapPost("/" + HostRoutes.Ops.Start, (string name, HttpRequest r) => WithSandbox(r, name, configs, (sb, ct) => host.StartAsync(sb, ct)));
        s.MapPost("/" + HostRoutes.Ops.Stop, (string name, HttpRequest r) => WithSandbox(r, name, configs, (sb, ct) => host.StopAsync(sb, ct)));
        s.MapPost("/" + HostRoutes.Ops.Destroy, async (string name, HttpRequest r) =>
        {
            var result = await WithSandbox(r, name, configs, (sb, ct) => host.DestroyAsync(sb, ct));
            configs.Forget(name);
            return result;
        });
        s.MapPost("/" + HostRoutes.Ops.Running, async (string name, HttpRequest r) =>
        {
            var sandbox = await ReadSandboxAsync(r, name, configs);
            return Json(new WireFlag(await host.IsRunningAsync(sandbox, r.HttpContext.RequestAborted)));
        });
        s.MapPost("/" + HostRoutes.Ops.Apply, async (string name, HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireApply>(r.Body, "apply", r.HttpContext.RequestAborted);
            var sandbox = configs.Hosted(name, body.Config);
            var proposed = ConfigWire.Read(body.Proposed, name, "proposed");
            await host.ApplyAsync(sandbox, proposed, r.HttpContext.RequestAborted);
            configs.Hosted(name, body.Proposed);
            return Results.NoContent();
        });
        s.MapPost("/" + HostRoutes.Ops.Usage, async (string name, HttpRequest r) =>
        {
            var sandbox = await ReadSandboxAsync(r, name, configs);
            var usage = await host.UsageAsync(sandbox, r.HttpContext.RequestAborted);
            return Json(new WireUsage((long)usage.Interval.TotalMilliseconds, usage.Capacity, usage.Samples));
        });
        s.MapPost("/" + HostRoutes.Ops.IngressReady, async (string name, HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireIngressReady>(r.Body, "ingress-ready", r.HttpContext.RequestAborted);
            var ready = await host.IngressReadyAsync(configs.Hosted(name, body.Config), TimeSpan.FromMilliseconds(body.LimitMs), r.HttpContext.RequestAborted);
            return Json(new WireFlag(ready));
        });
        s.MapPut("/" + HostRoutes.Ops.Secrets, async (string name, HttpRequest r) =>
        {
            var body = await WireJson.ReadAsync<WireSecretsUpdate>(r.Body, "secrets", r.HttpContext.RequestAborted);
            host.SetSecrets(name, SecretsWire.Read(body));
            return Results.NoContent();
        });

        HostStreams.Map(s, host, configs);
        HostFiles.Map(s, host, configs);
        var stopping = app.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        var claims = new ClaimLeases(host.Approvals, claimLease ?? ClaimLeases.DefaultLease);
        stopping.Register(claims.Dispose);
        HostApprovals.Map(g, host.Approvals, claims, stopping);
        HostIngress.Map(app, host, configs, forwarder, log);
        return g;
    }

    internal static async Task<HostedSandbox> ReadSandboxAsync(HttpRequest r, string name, HostedConfigs configs)
    {
        var body = await WireJson.ReadAsync<WireConfig>(r.Body, name, r.HttpContext.RequestAborted);
        return configs.Hosted(name, body.Config);
    }

    private static async Task<IResult> WithSandbox(HttpRequest r, string name, HostedConfigs configs, Func<HostedSandbox, CancellationToken, Task> op)
    {
        await op(await ReadSandboxAsync(r, name, configs), r.HttpContext.RequestAborted);
        return Results.NoContent();
    }

    internal static IResult Json<T>(T value) => Results.Json(value, WireJson.Options, WireJson.ContentType);

    internal static IResult Problem(WireProblem problem) => Results.Json(problem, WireJson.Options, WireJson.ProblemContentType, problem.Status);
}
