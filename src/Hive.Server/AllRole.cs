using Hive.Daemon;
using Hive.Daemon.Api;
using Hive.Files.Owner;
using Hive.Daemon.Events;
using Hive.Daemon.Inspector;
using Hive.Daemon.Ingress;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Secrets;
using Hive.Server.Settings;
using Hive.Daemon.Store;
using Hive.Runtime.Host;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hive.Server;

/// <summary>Role <c>all</c> (the default): the controller and the local host in one process, no network hop between them.</summary>
internal static class AllRole
{
    public static async Task<int> RunAsync(DaemonSettings settings, CancellationToken ct)
    {
        if (await DaemonProgram.LoadKeysAsync(settings) is not (var masterKey, var token)) return 1;

        var builder = DaemonProgram.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(settings.Listen));
        builder.Services.AddOpenApi();

        if (await DaemonProgram.OpenStoreAsync(settings) is not { } store) return 1;
        var events = new EventBus(store);
        using var bootLoggers = DaemonProgram.BootLoggers();
        var hostEvents = new BusEventSink(events, store, bootLoggers.CreateLogger("hive"));
        // Slots were the store's before the host kept its own: a first start after the upgrade takes them from there.
        await using var local = await LocalHostComposition.StartAsync(settings, hostEvents, [settings.Listen.Port], DaemonProgram.SlotSeed(store), bootLoggers, ct);
        var (host, egress, usage, runtime, mcp) = (local.Host, local.Egress, local.Usage, local.Runtime, local.Mcp);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton<ISandboxHost>(host);
        builder.Services.AddSingleton(sp => new SecretService(store, masterKey, sp.GetRequiredService<ISandboxHost>(), sp.GetRequiredService<ILogger<SecretService>>()));
        builder.Services.AddSingleton(sp => new SandboxManager(store, events, sp.GetRequiredService<ISandboxHost>(), sp.GetRequiredService<SecretService>(), local.Capacity,
            sp.GetRequiredService<ILogger<SandboxManager>>()));
        builder.Services.AddSingleton(new SandboxJson(settings.PublicBaseUrl));
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<SandboxIngress>();
        builder.Services.AddSingleton<IApprovalQueue>(egress.Approvals);
        builder.Services.AddSingleton<Hive.Daemon.Approvals.ApprovalDecider>();

        await using var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("hive");
        var manager = app.Services.GetRequiredService<SandboxManager>();
        await manager.StartupAsync(ct);

        app.UseProblems(log);
        var inspector = DaemonProgram.MapPublicApi(app, settings, token, leads: () => true);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
        // Held requests fail closed as soon as the daemon begins to stop (an exec waiting on one would hold the stop up):
        // nothing waiting is ever forwarded after a restart.
        using var failHeld = app.Lifetime.ApplicationStopping.Register(() => egress.Approvals.FailAll("the daemon is stopping"));
        var ttl = DaemonProgram.ExpireLoopAsync(manager, log, () => true, stopping.Token);
        var retention = new EventRetention(store, settings.Events, log).RunAsync(stopping.Token);
        var sampling = usage.RunAsync(log, stopping.Token);
        await app.StartAsync(ct);
        log.LogInformation("hive daemon {Version} (role all) listening on http://{Listen}, home {Home}, store {Store} (schema {Schema})",
            DaemonProgram.Version, settings.Listen, settings.Home, store.Description, store.SchemaVersion);
        if (runtime.Init.Binary is null)
            log.LogWarning("no hive-init next to the daemon ({Path}) and {Variable} unset: sandboxes start their image's entrypoint as PID 1 and every exec costs a runc exec (run make build)",
                Path.Combine(AppContext.BaseDirectory, "hive-init"), SandboxInit.BinaryVariable);
        if (inspector.Directory is null)
            log.LogWarning("no Inspector web assets next to the daemon ({Path}) and {Variable} unset: / answers 503 (run make build)",
                Path.Combine(AppContext.BaseDirectory, "inspector"), InspectorAssets.DirectoryVariable);
        if (mcp.Binary is null)
            log.LogWarning("no hive-mcp next to the daemon ({Path}) and {Variable} unset: hive/base sandboxes start without their MCP server (run make build)",
                Path.Combine(AppContext.BaseDirectory, "hive-mcp"), DefaultMcpServer.BinaryVariable);
        await app.WaitForShutdownAsync(ct);
        await ttl;
        await retention;
        await sampling;
        log.LogInformation("stopping sandboxes");
        await manager.ShutdownAsync(CancellationToken.None);
        events.Dispose();
        store.Dispose();
        return 0;
    }
}
