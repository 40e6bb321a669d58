using Hive.Host.Abstractions.Cluster;
using Hive.Host.Cluster;
using Hive.Host.Outbox;
using Hive.Host.Remote;
using Hive.Server.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hive.Server;

/// <summary>
/// Role <c>host</c>: runs sandboxes (runc, egress proxy, DNS, FUSE) for a controller and nothing else. Serves only the
/// host API and <c>/v1/health</c> on <c>cluster.listen</c> (mTLS: the client must be a controller of the cluster CA);
/// sends heartbeats to <c>cluster.controller</c>. No store, API token or master key: host-local facts (network slots,
/// the event outbox) live in its HIVE_HOME.
/// </summary>
internal static class HostRole
{
    public static async Task<int> RunAsync(DaemonSettings settings, CancellationToken ct)
    {
        Directory.CreateDirectory(settings.Home);
        using var tls = await DaemonProgram.LoadClusterTlsAsync(settings.Cluster, ClusterRole.Host);
        if (tls is null) return 1;
        var cluster = settings.Cluster;
        using var bootLoggers = DaemonProgram.BootLoggers();
        var log = bootLoggers.CreateLogger("hive");
        // Events wait in the outbox (SQLite in HIVE_HOME) until the controller has stored them: a cut or a controller restart loses none.
        using var hostEvents = new EventOutbox(Path.Combine(settings.Home, EventOutbox.FileName));
        await using var local = await LocalHostComposition.StartAsync(settings, hostEvents, [cluster.Listen.Port, settings.Listen.Port], slotSeed: null, bootLoggers, ct);
        var (host, egress, usage, runtime, slots) = (local.Host, local.Egress, local.Usage, local.Runtime, local.Slots);
        var capacity = Math.Min(cluster.Capacity ?? local.Capacity, local.Capacity);

        var builder = DaemonProgram.ClusterBuilder(cluster, tls, ClusterRole.Controller);
        // /v1/health also answers in plain HTTP on listen, for probes and `hive status` that hold no controller certificate.
        builder.WebHost.ConfigureKestrel(k => k.Listen(settings.Listen, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1));
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<ISandboxHost>(host);
        await using var app = builder.Build();
        app.Use((context, next) =>
        {
            if (context.Connection.LocalPort == cluster.Listen.Port || context.Request.Path == "/v1/health") return next(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        app.MapGet("/v1/health", () => Results.Json(new { status = "ok", version = DaemonProgram.Version, role = "host", name = cluster.Name }));
        app.MapHostApi(host);

        var boot = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        using var heartbeatHandler = tls.CreateClientHandler(ClusterRole.Controller);
        using var heartbeats = new HeartbeatClient(cluster.Controller!, cluster.Name, async token =>
            {
                var running = new List<string>();
                foreach (var name in slots.Snapshot().Keys)
                    if (await runtime.IsRunningAsync(name, token)) running.Add(name);
                return new HostHeartbeat(cluster.Advertise!, capacity, cluster.Labels, running, DaemonProgram.Version, boot);
            },
            heartbeatHandler, cluster.HeartbeatInterval, log);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
        using var failHeld = app.Lifetime.ApplicationStopping.Register(() => egress.Approvals.FailAll("the host is stopping"));
        var sampling = usage.RunAsync(log, stopping.Token);
        await app.StartAsync(ct);
        var beating = heartbeats.RunAsync(stopping.Token);
        await using var pusher = new OutboxPusher(hostEvents, cluster.Controller!, cluster.Name, tls.CreateClientHandler(ClusterRole.Controller),
            bootLoggers.CreateLogger("hive.outbox"));
        pusher.Start();
        log.LogInformation("hive daemon {Version} (role host {Name}) serving https://{Listen} (mTLS, advertised as {Advertise}), controller {Controller}, capacity {Capacity}, home {Home}",
            DaemonProgram.Version, cluster.Name, cluster.Listen, cluster.Advertise, cluster.Controller, capacity, settings.Home);
        await app.WaitForShutdownAsync(ct);
        await beating;
        await sampling;
        // As role all does: no sandbox runs on without its egress proxy and rules. The controller sees the host lost, and
        // its sandboxes stopped when it returns; their next use starts them again.
        log.LogInformation("stopping sandboxes");
        var anyConfig = Hive.Core.Config.ConfigParser.Parse("{}"u8, "stopping").Config!;
        await host.ShutdownAsync([.. slots.Snapshot().Keys.Select(name => new HostedSandbox(name, anyConfig))], CancellationToken.None);
        return 0;
    }
}
