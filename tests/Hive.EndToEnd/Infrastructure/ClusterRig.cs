using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Hive.Tests.Postgres;
using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// Cluster mode on this machine: a real PostgreSQL, certificates from <c>hive cluster ca|cert</c>, one or two
/// <c>hive daemon --role controller</c> processes and N <c>--role host</c> processes, each with its own HIVE_HOME,
/// loopback ports and subnet, the hosts' upstream names pointing at a loopback <see cref="TestUpstream"/>.
/// Dispose stops every process and removes what each left on the machine.
/// </summary>
public sealed class ClusterRig : IAsyncDisposable
{
    private readonly List<DaemonProcess> _hosts = [];
    private readonly List<DaemonProcess> _controllers = [];
    private readonly string _dir;
    private string _upstreamCa = "";
    private readonly string _masterKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private ClusterRig(string dir, PostgresServer pg, string database)
    {
        _dir = dir;
        Postgres = pg;
        Database = database;
    }

    public PostgresServer Postgres { get; }
    public string Database { get; }
    public TestUpstream Upstream { get; private set; } = null!;
    public IReadOnlyList<DaemonProcess> Hosts => _hosts;
    public IReadOnlyList<DaemonProcess> Controllers => _controllers;
    public DaemonProcess Controller => _controllers[0];

    /// <summary>Heartbeats every second: a host is lost after three missed ones.</summary>
    public const double HeartbeatSeconds = 1;

    public string CaDir => Path.Combine(_dir, "ca");
    public string CertDir(string role) => Path.Combine(_dir, role);

    public static async Task<ClusterRig> StartAsync(int hosts = 2)
    {
        Prerequisites.Check();
        var dir = Path.Combine(Path.GetTempPath(), $"hive-cluster-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(dir);
        var pg = PostgresServer.Start();
        var rig = new ClusterRig(dir, pg, pg.Url(pg.CreateDatabase()));
        try
        {
            rig.Upstream = await TestUpstream.StartAsync();
            rig._upstreamCa = Path.Combine(dir, "upstream-ca.pem");
            await File.WriteAllTextAsync(rig._upstreamCa, rig.Upstream.CaPem);
            await Hive(["cluster", "ca", "--out", rig.CaDir]);
            await Hive(["cluster", "cert", "--ca", rig.CaDir, "--role", "controller", "--out", rig.CertDir("controller")]);
            await Hive(["cluster", "cert", "--ca", rig.CaDir, "--role", "host", "--out", rig.CertDir("host")]);
            await rig.AddControllerAsync();
            for (var i = 0; i < hosts; i++) await rig.AddHostAsync($"h{i}-{Guid.NewGuid():N}"[..10]);
            await rig.WaitForHostsAsync(hosts);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    public static async Task Hive(IEnumerable<string> args)
    {
        var r = await Proc.RunAsync(Repo.Hive, args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"hive {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}{r.Stdout}");
    }

    private static string Tls(string dir) =>
        new JsonObject { ["ca"] = Path.Combine(dir, "..", "ca", "ca.crt"), ["cert"] = Path.Combine(dir, "tls.crt"), ["key"] = Path.Combine(dir, "tls.key") }.ToJsonString();

    /// <summary>Starts a controller on the rig's database (the first one, or a second beside it).</summary>
    public async Task<DaemonProcess> AddControllerAsync()
    {
        var port = FreePort();
        var settings = $$"""
            "database": "{{Database}}",
            "cluster": { "listen": "127.0.0.1:{{port}}", "heartbeatSeconds": {{HeartbeatSeconds}}, "tls": {{Tls(CertDir("controller"))}} }
            """;
        // Every controller of one cluster shares the master key (HIVE_MASTER_KEY, as on Kubernetes) and the API token.
        var env = new Dictionary<string, string> { ["HIVE_ROLE"] = "controller", ["HIVE_MASTER_KEY"] = _masterKey };
        string? home = null;
        if (_controllers.Count > 0)
        {
            home = Path.Combine(Path.GetTempPath(), $"hive-e2e-{Guid.NewGuid():N}"[..22]);
            Directory.CreateDirectory(home);
            File.Copy(Path.Combine(Controller.Home, "token"), Path.Combine(home, "token"));
        }
        var c = await DaemonProcess.StartAsync(reuseHome: home, env: env, extraSettings: settings);
        c.ClusterPort = port;
        _controllers.Add(c);
        return c;
    }

    /// <summary>Starts a host named <paramref name="name"/> reporting to the first controller, with the given certificate directory.</summary>
    public async Task<DaemonProcess> AddHostAsync(string name, string? certDir = null, bool register = true)
    {
        var port = FreePort();
        var settings = $$"""
            "cluster": { "listen": "127.0.0.1:{{port}}", "controller": "https://127.0.0.1:{{Controller.ClusterPort}}",
              "advertise": "https://127.0.0.1:{{port}}", "name": "{{name}}", "heartbeatSeconds": {{HeartbeatSeconds}},
              "tls": {{Tls(certDir ?? CertDir("host"))}} }
            """;
        var h = await DaemonProcess.StartAsync(upstream: Upstream.UpstreamSettings(_upstreamCa), withBaseImage: true,
            env: new Dictionary<string, string> { ["HIVE_ROLE"] = "host" }, extraSettings: settings);
        h.ClusterPort = port;
        h.ClusterName = name;
        if (register) _hosts.Add(h);
        return h;
    }

    /// <summary>GET /v1/cluster on the controller: its role, whether it leads, and the hosts it knows.</summary>
    public static async Task<JsonObject> ClusterAsync(DaemonProcess controller)
    {
        using var http = new HttpClient { BaseAddress = new Uri(controller.Url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", controller.Token);
        return JsonNode.Parse(await http.GetStringAsync("/v1/cluster"))!.AsObject();
    }

    public static async Task<Dictionary<string, string>> HostStatusesAsync(DaemonProcess controller) =>
        (await ClusterAsync(controller))["hosts"]!.AsArray().ToDictionary(h => (string)h!["name"]!, h => (string)h!["status"]!);

    /// <summary>Waits until the controller sees <paramref name="count"/> live hosts.</summary>
    public async Task WaitForHostsAsync(int count, TimeSpan? limit = null)
    {
        await Eventually.TrueAsync(async () => (await HostStatusesAsync(Controller)).Values.Count(s => s == "live") >= count, limit ?? TimeSpan.FromSeconds(30),
            () => $"the controller did not see {count} live hosts: {ClusterAsync(Controller).GetAwaiter().GetResult()}");
    }

    public HiveConnection Connect(DaemonProcess? controller = null) => (controller ?? Controller).Connect();

    public async ValueTask DisposeAsync()
    {
        foreach (var h in _hosts) await h.DisposeAsync();
        foreach (var c in _controllers) await c.DisposeAsync();
        if (Upstream is not null) await Upstream.DisposeAsync();
        Postgres.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>Polls a condition until it holds or the limit passes.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan limit, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException(failure());
            await Task.Delay(200);
        }
    }
}
