using Hive.Daemon;
using Hive.Daemon.Api;
using Hive.Egress;
using Hive.Files.Owner;
using Hive.Egress.Tls;
using Hive.Daemon.Events;
using Hive.Host;
using Hive.Daemon.Inspector;
using Hive.Daemon.Ingress;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Secrets;
using Hive.Daemon.Settings;
using Hive.Host.Settings;
using Hive.Server.Settings;
using Hive.Daemon.Store;
using Hive.Runtime.Host;
using Hive.Runtime.Images;
using Hive.Runtime.Network;
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
        Hive.Core.Secrets.MasterKey masterKey;
        try
        {
            Directory.CreateDirectory(settings.Home);
            masterKey = MasterKeyFile.Load(settings.Home);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        Directory.CreateDirectory(settings.Home);
        var token = TokenFile.LoadOrCreate(settings.TokenPath);

        var builder = DaemonProgram.CreateBuilder();
        using var ca = CertificateAuthority.LoadOrCreate(Path.Combine(settings.Home, "ca"));
        builder.WebHost.ConfigureKestrel(k => k.Listen(settings.Listen));
        builder.Services.AddOpenApi();

        var paths = new HostPaths(settings.Home);
        var addressing = new SlotAddressing(settings.Subnet, settings.Tag);
        var runtime = new SandboxRuntime(paths, new Runc(paths.RuncRoot), new NetworkSetup(addressing, settings.Tag), SandboxInit.Locate());
        if (await DaemonProgram.OpenStoreAsync(settings) is not { } store) return 1;
        var events = new EventBus(store);
        using var bootLoggers = DaemonProgram.BootLoggers();
        var hostEvents = new BusEventSink(events, store, bootLoggers.CreateLogger("hive"));
        await using var fsEvents = new FsEventPump(hostEvents);
        var upstream = settings.Upstream;
        await using var egress = await EgressService.StartAsync(new EgressOptions(upstream.Hosts, upstream.AllowPrivate, upstream.CaBundle,
                NeverDial: [addressing.Subnet], DaemonPorts: [settings.Listen.Port]),
            ca, hostEvents, bootLoggers, ct);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(events);
        var mcp = DefaultMcpServer.Locate();
        var usage = new UsageSampler(runtime.ReadUsage, settings.Usage, TimeProvider.System);
        // Slots were the store's before the host kept its own: a first start after the upgrade takes them from there.
        var slots = new SlotTable(Path.Combine(settings.Home, "slots.json"), addressing.Capacity, DaemonProgram.SlotSeed(store));
        using var host = new LocalSandboxHost(runtime, new ImageStore(paths.Images), egress,
            new SandboxFileSystems(paths, fsEvents, FuseIoUring.Enable(settings.Files, bootLoggers.CreateLogger("hive"))), ca.CertificatePem,
            mcp, usage, slots, FilesDeadline.FromEnvironment());
        builder.Services.AddSingleton<ISandboxHost>(host);
        builder.Services.AddSingleton(sp => new SecretService(store, masterKey, sp.GetRequiredService<ISandboxHost>(), sp.GetRequiredService<ILogger<SecretService>>()));
        builder.Services.AddSingleton(sp => new SandboxManager(store, events, sp.GetRequiredService<ISandboxHost>(), sp.GetRequiredService<SecretService>(), addressing.Capacity,
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
