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

    private static string Tag(string home) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(home))))[..6];
}
