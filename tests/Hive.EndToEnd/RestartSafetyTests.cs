using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>A daemon of its own: this test kills it with SIGKILL.</summary>
public sealed class RestartSafetyTests
{
    [Fact]
    public async Task Sigkill_mid_exec_loses_no_event_and_the_running_sandbox_is_adopted()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        var name = SharedDaemon.NewName("crash");
        using (var hive = daemon.Connect())
        {
            var sb = await hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal());
            await sb.ExecAsync("echo before > /tmp/marker; echo kept > /workspace/kept.txt");
            var before = await sb.GetEventsAsync();

            // A command in flight when the daemon dies.
            using var cts = new CancellationTokenSource();
            var inflight = Task.Run(async () =>
            {
                try { await foreach (var _ in sb.ExecStreamAsync(["sleep", "20"], ct: cts.Token)) { } }
                catch (Exception) { }
            });
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((await sb.GetEventsAsync(types: "exec.request")).Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
            await daemon.KillAsync();
            cts.Cancel();
            await inflight;
            // A half-created leftover of another sandbox: a namespace nobody owns.
            await Proc.RunAsync("ip", ["netns", "add", $"hive-{Tag(daemon.Home)}-999"]);

            await daemon.RestartAsync();
            using var again = daemon.Connect();
            var adopted = await again.GetSandboxAsync(name);
            Assert.Equal("running", adopted.Status);
            // Same container: what it wrote to its tmpfs before the crash is still there.
            Assert.Equal("before\n", (await adopted.ExecAsync(["cat", "/tmp/marker"])).Stdout);
            // Its FUSE-mediated workspace is mounted again under the running container: readable and writable.
            Assert.Equal("kept\n", (await adopted.ExecAsync(["cat", "/workspace/kept.txt"])).Stdout);
            Assert.Equal(0, (await adopted.ExecAsync("echo after > /workspace/after.txt")).ExitCode);
            Assert.Equal("after\n", await adopted.Files.ReadTextAsync("/workspace/after.txt"));
            var after = await adopted.GetEventsAsync();
            Assert.Equal(before.Select(e => e.Id), after.Take(before.Count).Select(e => e.Id));
            Assert.Contains(after, e => e.Type == "exec.request" && e.Data["command"]!.ToJsonString().Contains("20"));
            var namespaces = (await Proc.RunAsync("ip", ["netns", "list"])).Stdout;
            Assert.DoesNotContain($"hive-{Tag(daemon.Home)}-999", namespaces);
            await adopted.DeleteAsync();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the mount served over io_uring: the new daemon registers rings again and gets its queues going
    public async Task A_process_working_in_the_workspace_carries_on_through_a_daemon_sigkill_and_restart(bool ioUring)
    {
        await using var daemon = await DaemonProcess.StartAsync(extraSettings: ioUring ? "\"files\": { \"ioUring\": true }" : null);
        var name = SharedDaemon.NewName("cwd");
        using (var hive = daemon.Connect())
        {
            var sb = await hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal());
            // Relative paths only: every iteration goes through the process's working directory on the FUSE mount.
            await sb.ExecAsync("cd /workspace && (while true; do if ls > /dev/null 2>>/tmp/errors; then echo ok >> loop.log; " +
                "else echo fail >> /tmp/errors; fi; sleep 0.2; done < /dev/null > /dev/null 2>&1 &)");
            await WaitForLinesAsync(sb, 3);
            Assert.Equal(ioUring, RingThreads(daemon) > 0);
        }
        await daemon.KillAsync();
        await Task.Delay(1000); // the loop waits on its mount meanwhile
        await daemon.RestartAsync();
        using var again = daemon.Connect();
        var adopted = await again.GetSandboxAsync(name);
        var before = await WaitForLinesAsync(adopted, 1);
        var after = await WaitForLinesAsync(adopted, before + 5);
        Assert.True(after >= before + 5);
        Assert.Equal(ioUring, RingThreads(daemon) > 0);
        Assert.Equal("", (await adopted.ExecAsync("cat /tmp/errors 2>/dev/null; true")).Stdout);
        await adopted.DeleteAsync();
        // Deleting the sandbox ends the process that kept its FUSE session.
        Assert.Empty(Directory.Exists(Path.Combine(daemon.Home, "run", "fuse")) ? Directory.GetFiles(Path.Combine(daemon.Home, "run", "fuse")) : []);
    }

    /// <summary>The daemon's FUSE io_uring entries (threads named hive-fuse-ring-*).</summary>
    private static int RingThreads(DaemonProcess daemon) => Directory.GetDirectories($"/proc/{daemon.Pid}/task")
        .Count(t => File.ReadAllText(Path.Combine(t, "comm")).StartsWith("hive-fuse-ring", StringComparison.Ordinal));

    /// <summary>Waits until the loop has logged at least <paramref name="count"/> lines (read from the workspace); returns how many.</summary>
    private static async Task<int> WaitForLinesAsync(Sandbox sb, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var lines = 0;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                lines = (await sb.Files.ReadTextAsync("/workspace/loop.log")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            }
            catch (HiveNotFoundException)
            {
            }
            if (lines >= count) return lines;
            await Task.Delay(200);
        }
        var errors = (await sb.ExecAsync("cat /tmp/errors 2>/dev/null; true")).Stdout;
        Assert.Fail($"the loop in /workspace logged {lines} lines, not {count}, within 20 s; its errors: {errors}");
        return lines;
    }

    [Fact]
    public async Task A_sandbox_started_without_hive_init_keeps_working_through_runc_exec_after_the_upgrade()
    {
        // An older daemon: no hive-init, so the image's command is PID 1 and every exec is a runc exec.
        await using var daemon = await DaemonProcess.StartAsync(env: new Dictionary<string, string> { ["HIVE_INIT_BINARY"] = "/nonexistent/hive-init" });
        var name = SharedDaemon.NewName("legacy");
        using (var hive = daemon.Connect())
        {
            var sb = await hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal());
            await AssertRuncExecAsync(sb);
        }
        await daemon.KillAsync();
        daemon.ProcessEnv.Clear();
        await daemon.RestartAsync();
        using (var hive = daemon.Connect())
        {
            // Adopted as it runs: still no init in it, still runc exec.
            var adopted = await hive.GetSandboxAsync(name);
            await AssertRuncExecAsync(adopted);
            await adopted.DeleteAsync();
            // A new sandbox gets hive-init.
            var fresh = await hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("fresh"), SharedDaemon.Minimal());
            Assert.Contains("hive-init", (await fresh.ExecAsync(["cat", "/proc/1/cmdline"])).Stdout);
            await fresh.DeleteAsync();
        }
    }

    private static async Task AssertRuncExecAsync(Sandbox sb)
    {
        Assert.DoesNotContain("hive-init", (await sb.ExecAsync(["cat", "/proc/1/cmdline"])).Stdout);
        var r = await sb.ExecAsync("id -u; grep -E '^Cap(Eff|Bnd)' /proc/self/status; echo err >&2; exit 7");
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("1000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        var timedOut = await sb.ExecAsync(new ExecRequest { Command = new ExecCommand(["sleep", "30"]), TimeoutMs = 300 });
        Assert.True(timedOut.TimedOut);
    }

    private static string Tag(string home) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(home))))[..6];
}
