using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>A daemon of its own: this test stops it.</summary>
public sealed class WorkspaceMountLifecycleTests
{
    [Fact]
    public async Task Removal_and_daemon_stop_leave_no_fuse_mount_behind()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using (var hive = daemon.Connect())
        {
            var removed = await hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("gone"), SharedDaemon.Minimal());
            var running = await hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("kept"), SharedDaemon.Minimal());
            Assert.Equal(0, (await running.ExecAsync("echo x > /workspace/x")).ExitCode);
            Assert.Equal(2, FuseMounts(daemon.Home).Count);
            await removed.DeleteAsync();
            var left = Assert.Single(FuseMounts(daemon.Home));
            Assert.Contains($"/sandboxes/{running.Name}/", left);
        }
        // A graceful stop unmounts the file systems of the sandboxes it stops.
        await daemon.StopAsync();
        Assert.Empty(FuseMounts(daemon.Home));
    }

    private static List<string> FuseMounts(string home) =>
        File.ReadLines("/proc/self/mountinfo").Where(l => l.Contains(" - fuse.hive ", StringComparison.Ordinal) && l.Contains(" " + home + "/", StringComparison.Ordinal)).ToList();
}
