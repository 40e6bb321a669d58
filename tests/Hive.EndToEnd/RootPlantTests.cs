using Hive.EndToEnd.Infrastructure;
using HiveClient;
using Xunit.Abstractions;

namespace Hive.EndToEnd;

/// <summary>
/// An agent that is root in its image plants symlinks to a host directory at every path where the daemon or runc
/// puts something when a sandbox starts (its files, the CA, the mount points); the sandbox is then started again
/// (TTL, daemon stop, daemon crash). Nothing may appear on, or change in, the host directory: every such path is
/// resolved inside the sandbox's root. The sandbox works again, or fails to start with an error naming the path.
/// </summary>
public sealed class RootPlantTests(ITestOutputHelper output)
{
    /// <summary>Where the agent points its links: a host directory the test owns, replaced by its path in the commands.</summary>
    private const string Host = "HOST";

    /// <summary>
    /// One row per plant: a name, what the agent runs as root (busybox sh) to plant it, and whether the sandbox still
    /// starts. A plant may also be impossible: the daemon's read-only binds pin their paths, so moving a directory
    /// that holds one fails ("Device or resource busy"); then nothing was planted, and nothing may change either.
    /// </summary>
    private static readonly (string Name, string Plant, bool Starts)[] Plants =
    [
        ("etc", $"mv /etc /etc.old && ln -s {Host} /etc", true),
        ("etc-dangling", $"mv /etc /etc.old && ln -s {Host}/new /etc", true),
        ("etc-ssl", $"mv /etc/ssl /etc/ssl.old && ln -s {Host} /etc/ssl", true),
        ("etc-ssl-certs", $"mv /etc/ssl/certs /etc/ssl/certs.old && ln -s {Host} /etc/ssl/certs", true),
        ("etc-hive", $"mv /etc/hive /etc/hive.old && ln -s {Host} /etc/hive", true),
        ("etc-hive-dangling", $"mv /etc/hive /etc/hive.old && ln -s {Host}/new/deeper /etc/hive", true),
        ("etc-hive-relative", $"mv /etc/hive /etc/hive.old && ln -s ../../../../../../../../../..{Host} /etc/hive", true),
        ("resolv.conf", $"mv /etc /etc.old && mkdir /etc && ln -s {Host}/resolv.conf /etc/resolv.conf", true),
        ("trust-bundle", $"mv /etc/ssl/certs /etc/ssl/certs.old && mkdir /etc/ssl/certs && ln -s {Host}/ca.crt /etc/ssl/certs/ca-certificates.crt", true),
        ("run", $"mv /run /run.old && ln -s {Host} /run", true),
        ("opt-hive", $"mv /opt /opt.old && ln -s {Host} /opt", true),
        ("volume-anchor", $"mv /data /data.old && ln -s {Host} /data", true),
        ("volume-anchor-dangling", $"mv /data /data.old && ln -s {Host}/new /data", true),
        ("etc-hive-loop", "mv /etc/hive /etc/hive.old && ln -s /etc/hive /etc/hive", false),
    ];

    /// <summary>The same links carried by an imported image itself (in place before the first start): path in the image, target.</summary>
    private static readonly (string Path, string Target)[] ImageLinks =
    [
        ("etc/ssl", Host),
        ("etc/hive", Host),
        ("run", Host),
        ("opt", $"{Host}/opt-new"),
        ("data", Host),
    ];

    public enum Restart { Ttl, DaemonStop, DaemonCrash }

    [Theory]
    [InlineData(Restart.Ttl)]
    [InlineData(Restart.DaemonStop)]
    [InlineData(Restart.DaemonCrash)]
    public async Task Links_planted_by_a_root_agent_never_make_the_daemon_write_on_the_host(Restart restart)
    {
        var work = Directory.CreateTempSubdirectory("hive-plant-").FullName;
        await using var daemon = await DaemonProcess.StartAsync();
        var image = $"test/plant-{Guid.NewGuid():N}"[..22];
        var sandboxes = new List<(string Name, string Plant, bool Starts, string HostDir, string Sandbox)>(); // Plant: how it went
        try
        {
            var archive = HttpdImage.Write(work, user: "0:0");
            var import = await Proc.RunAsync(Repo.Hive, ["image", "import", image, archive], daemon.Env);
            Assert.True(import.ExitCode == 0, $"hive image import failed: {import.Stderr}{import.Stdout}");
            var linkedHost = HostDir(work, "image-links");
            var linked = HttpdImage.Write(work, user: "0:0", links: ImageLinks.ToDictionary(l => l.Path, l => l.Target.Replace(Host, linkedHost)));
            import = await Proc.RunAsync(Repo.Hive, ["image", "import", image + "-l", linked], daemon.Env);
            Assert.True(import.ExitCode == 0, $"hive image import failed: {import.Stderr}{import.Stdout}");
            using (var hive = daemon.Connect())
            {
                var linkedName = SharedDaemon.NewName("plant");
                sandboxes.Add(("image-links", "in the image", true, linkedHost, linkedName));
                Sandbox sb;
                try
                {
                    await hive.GetOrCreateSandboxAsync(linkedName, Config(image + "-l", restart == Restart.Ttl ? 2 : 0));
                }
                catch (HiveException e)
                {
                    // Its first start failed: the host directory is still checked, and the start after the restart must work.
                    sandboxes[0] = sandboxes[0] with { Plant = "first start failed: " + e.Message };
                }
                foreach (var (name, plant, starts) in Plants)
                {
                    var hostDir = HostDir(work, name);
                    sb = await hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("plant"), Config(image, restart == Restart.Ttl ? 2 : 0));
                    var r = await sb.ExecAsync(["/bin/busybox", "sh", "-c", "busybox --install -s /bin 2>/dev/null; " + plant.Replace(Host, hostDir)]);
                    Assert.True(r.ExitCode == 0 || r.Stderr.Contains("Device or resource busy"), $"planting {name} failed: {r.Stderr}{r.Stdout}");
                    // Not planted: the sandbox stays as it was, so it must start.
                    sandboxes.Add((name, r.ExitCode == 0 ? "planted" : "pinned", starts || r.ExitCode != 0, hostDir, sb.Name));
                }
            }

            await RestartAsync(daemon, restart, sandboxes.Select(s => s.Sandbox));

            using (var hive = daemon.Connect())
            {
                var failures = new List<string>();
                foreach (var (name, _, starts, hostDir, sandbox) in sandboxes)
                {
                    var sb = await hive.GetSandboxAsync(sandbox);
                    try
                    {
                        var r = await sb.ExecAsync(["/bin/busybox", "sh", "-c",
                            "cat /etc/resolv.conf /etc/hive/ca.pem /etc/ssl/certs/ca-certificates.crt && ls -d /data/vol/. /workspace/. && busybox grep -c ' fuse' /proc/mounts"]);
                        if (!starts) failures.Add($"{name}: started, but should have been refused");
                        else if (r.ExitCode != 0 || !r.Stdout.Contains("nameserver") || !r.Stdout.Contains("BEGIN CERTIFICATE") || !r.Stdout.EndsWith("\n2\n"))
                            failures.Add($"{name}: the sandbox does not work: exit {r.ExitCode}, {r.Stderr}");
                    }
                    catch (HiveException e)
                    {
                        if (starts) failures.Add($"{name}: did not start again: {e.Message}");
                        else if (!e.Message.Contains("/etc/hive")) failures.Add($"{name}: refused without naming the path: {e.Message}");
                        output.WriteLine($"{name}: {e.Message}");
                    }
                    var entries = Directory.GetFileSystemEntries(hostDir, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(hostDir, p));
                    if (!entries.SequenceEqual(["sentinel"]) || File.ReadAllText(Path.Combine(hostDir, "sentinel")) != "host\n")
                        failures.Add($"{name}: the host directory changed: {string.Join(", ", entries)}");
                }
                // The daemon still serves everyone else.
                var fresh = await hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("plant"), Config(image, 0));
                Assert.Equal("ok\n", (await fresh.ExecAsync(["/bin/busybox", "echo", "ok"])).Stdout);
                await fresh.DeleteAsync();
                Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n(plants: " + string.Join(", ", sandboxes.Select(s => $"{s.Name} {s.Plant}")) + ")");
                foreach (var s in sandboxes) await (await hive.GetSandboxAsync(s.Sandbox)).DeleteAsync();
            }
        }
        finally
        {
            await Proc.RunAsync(Repo.Hive, ["image", "rm", image], daemon.Env);
            await Proc.RunAsync(Repo.Hive, ["image", "rm", image + "-l"], daemon.Env);
            Directory.Delete(work, recursive: true);
        }
    }

    private static string HostDir(string work, string name)
    {
        var dir = Path.Combine(work, "host-" + name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "sentinel"), "host\n");
        return dir;
    }

    private static SandboxConfig Config(string image, int ttl) => new()
    {
        Image = image,
        Ttl = ttl,
        // Two anchors: /workspace (which the agent cannot move: a mount point) and one below a directory it can replace.
        Fs = [new FsMount("/workspace"), new FsMount("/data/vol")],
    };

    private static async Task RestartAsync(DaemonProcess daemon, Restart restart, IEnumerable<string> sandboxes)
    {
        switch (restart)
        {
            case Restart.Ttl:
                using (var hive = daemon.Connect())
                    foreach (var name in sandboxes)
                    {
                        var deadline = DateTime.UtcNow.AddSeconds(30);
                        var sb = await hive.GetSandboxAsync(name);
                        while (sb.Status != "stopped" && DateTime.UtcNow < deadline)
                        {
                            await Task.Delay(250);
                            await sb.RefreshAsync();
                        }
                        Assert.Equal("stopped", sb.Status);
                    }
                break;
            case Restart.DaemonStop:
                await daemon.StopAsync();
                await daemon.RestartAsync();
                break;
            case Restart.DaemonCrash:
                // The daemon and its containers die at once (a host crash): the next start is a fresh one.
                await daemon.KillAsync();
                foreach (var name in sandboxes)
                    await Proc.RunAsync("runc", ["--root", Path.Combine(daemon.Home, "run", "runc"), "kill", name, "KILL"]);
                await Task.Delay(500);
                await daemon.RestartAsync();
                break;
        }
    }
}
