using System.Net;
using System.Net.Sockets;
using Hive.EndToEnd.Attacks;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

[Collection("daemon")]
public sealed class IsolationTests(SharedDaemon fixture)
{
    private HiveConnection Hive => fixture.Hive;

    [Fact]
    public async Task Agent_runs_as_uid_1000_without_capabilities_or_new_privileges()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("iso"), SharedDaemon.Minimal());
        try
        {
            Assert.Equal("1000 1000\n", (await sb.ExecAsync("echo $(id -u) $(id -g)")).Stdout);
            var status = (await sb.ExecAsync(["cat", "/proc/self/status"])).Stdout;
            foreach (var cap in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
                Assert.Contains($"{cap}:\t0000000000000000", status);
            Assert.Contains("NoNewPrivs:\t1", status);
            Assert.Matches(@"Seccomp:\t2", status);
            // Masked and read-only /proc paths, and no mounting.
            Assert.Equal("", (await sb.ExecAsync(["cat", "/proc/kcore"])).Stdout);
            Assert.NotEqual(0, (await sb.ExecAsync("echo 1 > /proc/sys/kernel/hostname")).ExitCode);
            Assert.NotEqual(0, (await sb.ExecAsync(["mount", "-t", "tmpfs", "x", "/tmp"])).ExitCode);
            Assert.NotEqual(0, (await sb.ExecAsync(["unshare", "-U", "true"])).ExitCode);
            // Its own PID namespace: the init is PID 1 and the host's processes are invisible.
            var ps = (await sb.ExecAsync(["ps", "-o", "pid,args"])).Stdout;
            Assert.DoesNotContain("hive daemon", ps);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task The_agent_cannot_reach_signal_or_inspect_the_init_that_starts_its_commands()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("init"), SharedDaemon.Minimal());
        try
        {
            // PID 1 is hive-init, as root; the image's command runs as the agent.
            var ps = (await sb.ExecAsync(["ps", "-o", "pid,user,args"])).Stdout;
            Assert.Matches(@"(?m)^\s*1 root\s+/opt/hive/bin/hive-init --socket /run/hive-init/ctl.sock --uid 1000 --gid 1000 -- ", ps);
            Assert.Matches(@"(?m)^\s*\d+ agent\s+/bin/sh -c", ps);
            // Its socket's directory is root's alone: no listing, no connecting (by path or through /proc/1/root).
            var probe = await sb.ExecAsync("ls /run/hive-init; ls /proc/1/root/run/hive-init; cat /proc/1/environ; echo probed");
            Assert.Equal("probed\n", probe.Stdout);
            Assert.Contains("Permission denied", probe.Stderr);
            var dir = Directory.CreateTempSubdirectory("hive-drive-").FullName;
            try
            {
                await sb.Files.WriteAsync("/workspace/drive-init", await File.ReadAllBytesAsync(await DriveInit.CompileAsync(dir)));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
            var drive = await sb.ExecAsync("chmod +x /workspace/drive-init && /workspace/drive-init /run/hive-init/ctl.sock");
            Assert.Equal(2, drive.ExitCode);
            Assert.Contains("connect: Permission denied", drive.Stderr);
            // No signal reaches it, nor its capabilities the agent.
            var kill = await sb.ExecAsync("kill -KILL 1; echo rc=$?; kill -TERM 1; echo rc=$?; kill -STOP 1; echo rc=$?");
            Assert.Equal("rc=1\nrc=1\nrc=1\n", kill.Stdout);
            var init = (await sb.ExecAsync(["cat", "/proc/1/status"])).Stdout;
            Assert.Contains("CapEff:\t00000000000001e0", init); // setgid, setuid, kill, setpcap: nothing else
            Assert.Contains("NoNewPrivs:\t1", init);
            Assert.Matches(@"Seccomp:\t2", init);
            Assert.Equal(0, (await sb.ExecAsync(["true"])).ExitCode);
            // A command that cannot start is reported as a shell would.
            var missing = await sb.ExecAsync(["no-such-command"]);
            Assert.Equal(127, missing.ExitCode);
            Assert.Contains("cannot run no-such-command", missing.Stderr);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task An_agent_that_is_root_in_its_image_still_cannot_make_the_init_run_commands_or_stop_it()
    {
        // An imported image whose user is root, carrying a client that speaks hive-init's protocol.
        var dir = Directory.CreateTempSubdirectory("hive-rootimg-").FullName;
        var image = $"test/root-{Guid.NewGuid():N}"[..20];
        var sb = default(Sandbox);
        try
        {
            var client = await DriveInit.CompileAsync(dir);
            var archive = HttpdImage.Write(dir, user: "0:0", extra: new Dictionary<string, string> { ["bin/drive-init"] = client });
            var import = await Proc.RunAsync(Repo.Hive, ["image", "import", image, archive], fixture.Daemon.Env);
            Assert.True(import.ExitCode == 0, $"hive image import failed: {import.Stderr}{import.Stdout}");
            sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("rootimg"), new SandboxConfig { Image = image });

            var whoami = await sb.ExecAsync("id -u; busybox grep -E '^Cap(Eff|Bnd)' /proc/self/status");
            Assert.Equal("0\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n", whoami.Stdout);
            // Root owns the socket's directory, so it can connect; hive-init hangs up on anyone inside its PID namespace.
            var drive = await sb.ExecAsync(["/bin/drive-init", "/run/hive-init/ctl.sock"]);
            Assert.Equal(1, drive.ExitCode);
            Assert.Equal("refused: 0 bytes back\n", drive.Stdout);
            // Same uid as the init, yet no signal stops it: a namespace's init only gets signals it handles, and it handles none from inside.
            // A marker in the container's tmpfs tells the same container from one started again by the next exec.
            await sb.ExecAsync("echo same-container > /tmp/marker");
            Assert.Equal(0, (await sb.ExecAsync("kill -KILL 1; kill -TERM 1; kill -INT 1; kill -HUP 1; kill -USR1 1; true")).ExitCode);
            await Task.Delay(500);
            Assert.Equal("same-container\n", (await sb.ExecAsync(["busybox", "cat", "/tmp/marker"])).Stdout);
            Assert.Contains("hive-init", (await sb.ExecAsync(["busybox", "cat", "/proc/1/cmdline"])).Stdout);
            Assert.Equal("running", (await Hive.GetSandboxAsync(sb.Name)).Status);
        }
        finally
        {
            if (sb is not null) await sb.DeleteAsync();
            await Proc.RunAsync(Repo.Hive, ["image", "rm", image], fixture.Daemon.Env);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Without_egress_rules_nothing_reaches_the_host_the_daemon_or_beyond()
    {
        // A listener on every host address: if the sandbox could reach the host at all, bytes would land here.
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("net"), SharedDaemon.Minimal());
        try
        {
            var gateway = (await sb.ExecAsync("ip route | awk '/default/ {print $3}'")).Stdout.Trim();
            Assert.StartsWith(fixture.Daemon.Subnet.Split('.')[0] + "." + fixture.Daemon.Subnet.Split('.')[1], gateway);
            // Every TCP connection is steered to the egress proxy, which refuses it: no byte reaches the target.
            foreach (var t in new[] { $"{gateway} {port}", $"127.0.0.1 {port}", $"{gateway} {fixture.Daemon.Port}", $"{gateway} 22", "169.254.169.254 80" })
            {
                var r = await sb.ExecAsync($"echo probe | nc -w 2 {t}; echo rc=$?");
                Assert.DoesNotContain("probe", r.Stdout);
            }
            var api = await sb.ExecAsync($"wget -q -T 3 -O - http://{gateway}:{fixture.Daemon.Port}/v1/health; echo rc=$?");
            Assert.DoesNotContain("\"ok\"", api.Stdout);
            // UDP other than DNS goes nowhere; DNS for any name is NXDOMAIN.
            var dns = await sb.ExecAsync("nslookup example.com 2>&1; echo rc=$?");
            Assert.DoesNotContain("Address: 93.", dns.Stdout);
            Assert.False(listener.Pending(), "a connection from the sandbox reached a host listener");
            var denied = await sb.GetEventsAsync(types: "egress.request");
            Assert.NotEmpty(denied);
            Assert.All(denied, e => Assert.Equal("denied", e.Get<string>("access")));
            Assert.All(await sb.GetEventsAsync(types: "dns.query"), e => Assert.Equal("nxdomain", e.Get<string>("answer")));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Fork_bomb_is_stopped_by_the_pids_limit()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("pids"),
            SharedDaemon.Minimal(c => c.Resources = new Resources { Pids = 64 }));
        try
        {
            var r = await sb.ExecAsync(new ExecRequest
            {
                // At the limit not even `ps` can fork: read the cgroup's count with the shell's own `read`.
                // The bomb runs in a subshell: sh gives up when it cannot fork, the outer shell lives on to report.
                Command = new ExecCommand("(n=0; while [ $n -lt 300 ]; do sleep 3 & n=$((n+1)); done) 2>/dev/null; " +
                                          "read peak < /sys/fs/cgroup/pids/pids.peak; read max < /sys/fs/cgroup/pids/pids.max; echo $peak $max"),
                TimeoutMs = 30_000,
            });
            Assert.False(r.TimedOut);
            var counts = r.Stdout.Trim().Split(' ');
            Assert.Equal("64", counts[1]);
            var peak = int.Parse(counts[0]);
            Assert.True(peak is > 32 and <= 64, $"peak of {peak} processes in a sandbox limited to 64");
            // The sandbox recovers once the sleepers are gone.
            await Task.Delay(3500);
            Assert.Equal("alive\n", (await sb.ExecAsync(["echo", "alive"])).Stdout);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }
}
