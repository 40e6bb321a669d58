using Hive.Daemon.Api;
using Hive.Daemon.Inspector;
using Hive.Daemon.Ingress;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Store;
using Hive.Host.Abstractions.Cluster;
using Hive.Server.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Hive.Server;

/// <summary>
/// Entry point of <c>hive daemon</c>: runs the daemon in the foreground until cancelled or SIGTERM, in the role the flag,
/// HIVE_ROLE or daemon.json names (<see cref="AllRole"/>, <see cref="ControllerRole"/>, <see cref="HostRole"/>); what
/// the roles share is here.
/// </summary>
public static class DaemonProgram
{
    public static string Version => typeof(DaemonProgram).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static Task<int> RunAsync(CancellationToken ct) => RunAsync(null, ct);

    /// <param name="role"><c>hive daemon --role</c>, or null.</param>
    public static async Task<int> RunAsync(string? role, CancellationToken ct)
    {
        DaemonSettings settings;
        try
        {
            settings = DaemonSettings.Load(role);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        if (settings.Role != DaemonRole.Controller && !IsRoot())
        {
            await Console.Error.WriteLineAsync($"error: hive daemon (role {DaemonRoles.Word(settings.Role)}) must run as root (it creates containers, namespaces and nftables rules)");
            return 1;
        }
        return settings.Role switch
        {
            DaemonRole.Controller => await ControllerRole.RunAsync(settings, ct),
            DaemonRole.Host => await HostRole.RunAsync(settings, ct),
            _ => await AllRole.RunAsync(settings, ct),
        };
    }

    internal static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        return builder;
    }

    internal static ILoggerFactory BootLoggers() => LoggerFactory.Create(l => l
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; })
        .AddFilter("Microsoft", LogLevel.Warning).AddFilter("Yarp", LogLevel.Warning));

    /// <summary>The store daemon.json names; null (after telling why) when it cannot be opened.</summary>
    internal static async Task<IHiveStore?> OpenStoreAsync(DaemonSettings settings)
    {
        try
        {
            return settings.Database.IsPostgres ? new PostgresStore(settings.Database) : new SqliteStore(settings.DatabasePath);
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// The slots the store kept before hosts kept their own (used once, when slots.json does not exist yet). Rows written
    /// since schema v3 all say 0: a slot held by more than one row is nobody's.
    /// </summary>
    /// <summary>
    /// The start of the roles that serve the API (all, controller): HIVE_HOME made, the master key that seals secrets,
    /// the API token (made on first start). Null, after saying why, when the key cannot be read.
    /// </summary>
    internal static async Task<(Hive.Core.Secrets.MasterKey Key, string Token)?> LoadKeysAsync(DaemonSettings settings)
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
            return null;
        }
        return (masterKey, TokenFile.LoadOrCreate(settings.TokenPath));
    }

    internal static IReadOnlyDictionary<string, int> SlotSeed(IHiveStore store) =>
        store.ListSandboxes().GroupBy(s => s.Slot).Where(g => g.Count() == 1).ToDictionary(g => g.Single().Name, g => g.Key, StringComparer.Ordinal);

    /// <summary>This process's cluster certificate, which must carry <paramref name="role"/>; null (after telling why) when unusable.</summary>
    internal static async Task<ClusterTls?> LoadClusterTlsAsync(ClusterSettings cluster, ClusterRole role)
    {
        var paths = cluster.Tls!;
        try
        {
            var tls = ClusterTls.Load(paths.Ca, paths.Cert, paths.Key);
            if (tls.Role == role) return tls;
            tls.Dispose();
            await Console.Error.WriteLineAsync($"error: cluster.tls.cert: {paths.Cert} is a {ClusterRoles.Word(tls.Role)} certificate; this role needs one issued with " +
                                               $"hive cluster cert --role {ClusterRoles.Word(role)}");
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
        }
        return null;
    }

    /// <summary>
    /// The server on <c>cluster.listen</c>, apart from the public API's (nothing of either is reachable on the other's
    /// port): TLS 1.3, HTTP/2, and a client certificate from the cluster CA with role <paramref name="peer"/>, or no
    /// connection. <paramref name="services"/> adds what its routes use.
    /// </summary>
    internal static WebApplicationBuilder ClusterBuilder(ClusterSettings cluster, ClusterTls tls, ClusterRole peer)
    {
        var builder = CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(cluster.Listen, o =>
        {
            o.Protocols = HttpProtocols.Http1AndHttp2;
            o.UseHttps(h =>
            {
                h.ServerCertificate = tls.Certificate;
                h.SslProtocols = System.Security.Authentication.SslProtocols.Tls13;
                h.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                h.ClientCertificateValidation = (c, _, _) => tls.Accepts(c, peer);
            });
        }));
        return builder;
    }

    /// <summary>The public API (token auth, Inspector), as role all and role controller serve it on <c>listen</c>.</summary>
    internal static InspectorAssets MapPublicApi(WebApplication app, DaemonSettings settings, string token, Func<bool> leads)
    {
        var inspector = InspectorAssets.Locate();
        var sessions = new InspectorSessions(TimeProvider.System, InspectorCodeLifetime(), InspectorSessions.DefaultSessionLifetime,
            Path.Combine(settings.Home, "inspector-sessions.json"));
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseInspectorAuth(token, sessions);
        app.UseStreamShutdown();
        app.MapOpenApi();
        app.MapGet("/v1/health", () => Results.Json(new { status = "ok", version = Version })).WithTags("Health");
        app.MapSandboxes();
        app.MapExec();
        app.MapTerminal();
        app.MapFiles();
        app.MapUsage();
        app.MapEvents();
        app.MapLlmCalls();
        app.MapSecrets();
        app.MapIngress();
        app.MapApprovals();
        app.MapInspector(sessions, inspector);
        app.MapClusterStatus(DaemonRoles.Word(settings.Role), leads);
        return inspector;
    }

    /// <summary>
    /// Stops idle sandboxes past their TTL, once a second, while <paramref name="leads"/> says this process leads. With
    /// <paramref name="shareActivity"/> (controllers sharing a database) every controller first reports the use it served.
    /// </summary>
    internal static async Task ExpireLoopAsync(SandboxManager manager, ILogger log, Func<bool> leads, CancellationToken ct, bool shareActivity = false)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (shareActivity)
                {
                    try { manager.ShareActivity(); }
                    catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "reporting sandbox activity to the store failed; retrying"); }
                }
                if (!leads()) continue;
                try { await manager.ExpireIdleAsync(ct); }
                catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "ttl check failed"); }
            }
        }
        catch (OperationCanceledException) { }
    }

    // HIVE_INSPECTOR_CODE_TTL (seconds) shortens the login codes' 5 minutes, for tests of their expiry.
    private static TimeSpan InspectorCodeLifetime() =>
        int.TryParse(Environment.GetEnvironmentVariable("HIVE_INSPECTOR_CODE_TTL"), out var s) && s > 0 ? TimeSpan.FromSeconds(s) : InspectorSessions.DefaultCodeLifetime;

    private static bool IsRoot() =>
        Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root"
        || File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:") && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
}
