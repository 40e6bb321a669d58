using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// A real `hive daemon` process on a temporary HIVE_HOME, a free loopback port and a subnet of its
/// own, so test daemons never collide. Dispose stops it and removes everything it left on the host.
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    private Process? _process;

    private DaemonProcess(string home, int port, string subnet)
    {
        Home = home;
        Port = port;
        Subnet = subnet;
    }

    public string Home { get; }
    public int Port { get; private set; }
    public string Subnet { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public string Token => File.ReadAllText(Path.Combine(Home, "token")).Trim();
    public int Pid => _process?.Id ?? 0;

    /// <summary>Cluster mode: the port of <c>cluster.listen</c> (0 when not in a cluster) and, for a host, its name.</summary>
    public int ClusterPort { get; set; }
    public string? ClusterName { get; set; }
    public string Log => Path.Combine(Home, "daemon.log");

    public Dictionary<string, string> Env => new() { ["HIVE_HOME"] = Home, ["HIVE_URL"] = Url, ["HIVE_TOKEN"] = File.Exists(Path.Combine(Home, "token")) ? Token : "" };

    /// <summary>Where hive/base is built once per machine and shared (read-only) by test daemons.</summary>
    public const string SharedImageHome = "/var/cache/hive-test";

    /// <param name="upstream">The daemon.json "upstream" object (JSON), pointing test names at loopback servers.</param>
    /// <param name="withBaseImage">Also give the daemon hive/base (curl, python3, git), built once into <see cref="SharedImageHome"/>.</param>
    /// <param name="env">Extra environment of the daemon process (until <see cref="ProcessEnv"/> is changed).</param>
    public static async Task<DaemonProcess> StartAsync(string? reuseHome = null, string? upstream = null, bool withBaseImage = false,
        IReadOnlyDictionary<string, string>? env = null, string? extraSettings = null)
    {
        Prerequisites.Check();
        var home = reuseHome ?? Path.Combine(Path.GetTempPath(), $"hive-e2e-{Guid.NewGuid():N}"[..22]);
        Directory.CreateDirectory(home);
        var port = FreePort();
        var subnet = reuseHome is not null && File.Exists(Path.Combine(home, "subnet")) ? File.ReadAllText(Path.Combine(home, "subnet")) : RandomSubnet();
        File.WriteAllText(Path.Combine(home, "subnet"), subnet);
        var d = new DaemonProcess(home, port, subnet) { _upstream = upstream ?? "{}", ExtraSettings = extraSettings };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) d.ProcessEnv[k] = v;
        d.WriteSettings();
        if (reuseHome is null)
        {
            var build = await Proc.RunAsync(Repo.Hive, ["image", "build", "hive/minimal"], new Dictionary<string, string> { ["HIVE_HOME"] = home });
            if (build.ExitCode != 0) throw new InvalidOperationException($"hive image build hive/minimal failed: {build.Stderr}{build.Stdout}");
            if (withBaseImage) await LinkBaseImageAsync(home);
        }
        // The free port was only free when we looked: if something took it meanwhile, take another.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await d.LaunchAsync();
                return d;
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("Address already in use"))
            {
                d.Port = FreePort();
                d.WriteSettings();
            }
        }
    }

    public HiveConnection Connect() => new(new Uri(Url), Token);

    /// <summary>Extra environment given to the daemon at its next launch.</summary>
    public Dictionary<string, string> ProcessEnv { get; } = new();

    private string _upstream = "{}";

    /// <summary>More daemon.json settings, as JSON members (e.g. <c>"events": { "maxSizeMb": 0 }</c>), written at the next launch.</summary>
    public string? ExtraSettings { get; set; }

    private void WriteSettings() =>
        File.WriteAllText(Path.Combine(Home, "daemon.json"), $$"""{ "listen": "127.0.0.1:{{Port}}", "subnet": "{{Subnet}}", "upstream": {{_upstream}}{{(ExtraSettings is null ? "" : ", " + ExtraSettings)}} }""");

    private static async Task LinkBaseImageAsync(string home)
    {
        // Built once per machine (debootstrap takes minutes); cached after, and the image store's lock makes concurrent builds safe.
        var build = await Proc.RunAsync(Repo.Hive, ["image", "build", "hive/base"], new Dictionary<string, string> { ["HIVE_HOME"] = SharedImageHome },
            TimeSpan.FromMinutes(15));
        if (build.ExitCode != 0) throw new InvalidOperationException($"hive image build hive/base failed: {build.Stderr}{build.Stdout}");
        Directory.CreateSymbolicLink(Path.Combine(home, "images", "hive_base"), Path.Combine(SharedImageHome, "images", "hive_base"));
    }

    /// <summary>Starts the daemon again on the same home (after <see cref="KillAsync"/>).</summary>
    public async Task RestartAsync()
    {
        WriteSettings();
        await LaunchAsync();
    }

    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill(); // SIGKILL: no graceful shutdown, exactly what a crash looks like
        await _process.WaitForExitAsync();
        _process = null;
    }

    /// <summary>Stops the daemon the way an operator does (SIGTERM) and waits for it to exit; the home is kept.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        _ = Native.Kill(_process.Id, 15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
        _process = null;
    }

    private async Task LaunchAsync()
    {
        var psi = new ProcessStartInfo(Repo.Hive) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("daemon");
        psi.Environment["HIVE_HOME"] = Home;
        foreach (var (k, v) in ProcessEnv) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        var log = new StreamWriter(File.Open(Log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"hive daemon exited with {_process.ExitCode}: {File.ReadAllText(Log)}");
            try
            {
                if ((await http.GetAsync($"{Url}/v1/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"hive daemon did not become healthy: {File.ReadAllText(Log)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _ = Native.Kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(); }
        }
        await HostCleanup.RemoveLeftoversAsync(Home);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string RandomSubnet() => $"10.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(0, 255)}.0/24";
}
