using Hive.Daemon.Api;
using Hive.Daemon.Cluster;
using Hive.Daemon.Events;
using Hive.Daemon.Ingress;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Secrets;
using Hive.Host.Abstractions.Cluster;
using Hive.Server.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hive.Server;

/// <summary>
/// Role <c>controller</c>: the public API, the store, events, secrets and scheduling, in front of hosts that run the
/// sandboxes. No runc, egress proxy or FUSE here, and no root needed. Hosts heartbeat to <c>cluster.listen</c> (mTLS);
/// every call about a sandbox goes to its host (<see cref="ClusterSandboxHost"/>). With PostgreSQL several controllers
/// may serve one cluster: the one holding the leader lease runs the TTL loop, lost-host detection and retention.
/// </summary>
internal static class ControllerRole
{
    public static async Task<int> RunAsync(DaemonSettings settings, CancellationToken ct)
    {
        if (await DaemonProgram.LoadKeysAsync(settings) is not (var masterKey, var token)) return 1;
        using var tls = await DaemonProgram.LoadClusterTlsAsync(settings.Cluster, ClusterRole.Controller);
        if (tls is null) return 1;
        if (await DaemonProgram.OpenStoreAsync(settings) is not { } store) return 1;
        var events = new EventBus(store);
        using var bootLoggers = DaemonProgram.BootLoggers();
        var clusterLog = bootLoggers.CreateLogger("hive.cluster");
        await using ILeaderLease lease = settings.Database.IsPostgres ? new PostgresLeaderLease(settings.Database, clusterLog) : new AlwaysLeader();
        var registry = new HostRegistry(store, events, TimeProvider.System, settings.Cluster.HeartbeatInterval, clusterLog);
        using var cluster = new ClusterSandboxHost(store, RemoteHostFactory.Create(tls), clusterLog);
        registry.HostBooted += cluster.OnHostBooted;

        var builder = DaemonProgram.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(settings.Listen));
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton<ISandboxHost>(cluster);
        builder.Services.AddSingleton(sp => new SecretService(store, masterKey, cluster, sp.GetRequiredService<ILogger<SecretService>>()));
        // Capacity is the hosts' (the scheduler answers 503 when every host is full), not one subnet's.
        builder.Services.AddSingleton(sp => new SandboxManager(store, events, cluster, sp.GetRequiredService<SecretService>(), int.MaxValue,
            sp.GetRequiredService<ILogger<SandboxManager>>()));
        builder.Services.AddSingleton(new SandboxJson(settings.PublicBaseUrl));
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<SandboxIngress>();
        builder.Services.AddSingleton<IApprovalQueue>(cluster.Approvals);
        builder.Services.AddSingleton<Hive.Daemon.Approvals.ApprovalDecider>();
        await using var app = builder.Build();

        var hostsBuilder = DaemonProgram.ClusterBuilder(settings.Cluster, tls, ClusterRole.Host);
        hostsBuilder.Services.AddSingleton(registry);
        await using var hostsApp = hostsBuilder.Build();

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("hive");
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
        var leading = lease.RunAsync(stopping.Token);
        var manager = app.Services.GetRequiredService<SandboxManager>();
        // A host that restarted has lost the secret bindings it held in memory: send its sandboxes' bindings again.
        var secretService = app.Services.GetRequiredService<SecretService>();
        registry.HostBooted += host =>
        {
            foreach (var sandbox in store.ListSandboxesOnHost(host)) secretService.Refresh(sandbox);
        };
        await manager.StartupAsync(ct);

        app.UseProblems(log);
        var inspector = DaemonProgram.MapPublicApi(app, settings, token, leads: () => lease.IsLeader);
        hostsApp.UseProblems(log);
        hostsApp.MapClusterHosts();
        hostsApp.MapClusterEvents(new EventIngest(events, store));

        var ttl = DaemonProgram.ExpireLoopAsync(manager, log, () => lease.IsLeader, stopping.Token, shareActivity: true);
        var lost = registry.RunAsync(lease, stopping.Token);
        var retention = new EventRetention(store, settings.Events, log, leads: () => lease.IsLeader).RunAsync(stopping.Token);
        await hostsApp.StartAsync(ct);
        await app.StartAsync(ct);
        log.LogInformation("hive daemon {Version} (role controller) listening on http://{Listen}, hosts on https://{Cluster} (mTLS), home {Home}, store {Store} (schema {Schema})",
            DaemonProgram.Version, settings.Listen, settings.Cluster.Listen, settings.Home, store.Description, store.SchemaVersion);
        if (inspector.Directory is null)
            log.LogWarning("no Inspector web assets next to the daemon and {Variable} unset: / answers 503 (run make build)", Hive.Daemon.Inspector.InspectorAssets.DirectoryVariable);
        await app.WaitForShutdownAsync(ct);
        await hostsApp.StopAsync(CancellationToken.None);
        await ttl;
        await lost;
        await retention;
        await leading;
        // The hosts' sandboxes keep running: this (or another) controller adopts them when it starts.
        events.Dispose();
        store.Dispose();
        return 0;
    }
}
