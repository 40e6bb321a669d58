using System.Text;
using Hive.Daemon.Store;

namespace Hive.Daemon.Tests;

public sealed class ApplyConfigTests
{
    private static ReadOnlyMemory<byte> Config(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public async Task A_stop_while_an_apply_runs_is_not_overwritten_by_the_status_the_apply_read()
    {
        using var c = new Controller();
        await c.Manager.GetOrCreateAsync("box", Config("""{ "image": "hive/minimal", "ttl": 1 }"""), CancellationToken.None);
        c.Host.ApplyGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var apply = c.Manager.ApplyConfigAsync("box", Config("""{ "image": "hive/minimal", "ttl": 3 }"""), CancellationToken.None);
        await Task.WhenAny(apply, c.Host.ApplyEntered.Task).WaitAsync(TimeSpan.FromSeconds(10));
        if (apply.IsFaulted) await apply;
        // The TTL passes while the apply is half-way: the expiry may stop the sandbox, or wait, but never be undone.
        await Task.Delay(1300);
        await c.Manager.ExpireIdleAsync(CancellationToken.None);
        c.Host.ApplyGate.SetResult();
        await apply;

        var stored = c.Store.FindSandbox("box")!;
        var running = c.Host.Running.ContainsKey("box");
        Assert.True(stored.Status == (running ? SandboxStatus.Running : SandboxStatus.Stopped),
            $"the store says {stored.Status} but the host's sandbox is {(running ? "running" : "stopped")}");
        Assert.Equal(3, stored.Config.Ttl);
    }

    [Fact]
    public async Task A_delete_while_an_apply_runs_waits_for_it_and_the_apply_does_not_bring_the_sandbox_back()
    {
        using var c = new Controller();
        await c.Manager.GetOrCreateAsync("box", Config("""{ "image": "hive/minimal" }"""), CancellationToken.None);
        c.Host.ApplyGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var apply = c.Manager.ApplyConfigAsync("box", Config("""{ "image": "hive/minimal", "ttl": 5 }"""), CancellationToken.None);
        await Task.WhenAny(apply, c.Host.ApplyEntered.Task).WaitAsync(TimeSpan.FromSeconds(10));
        if (apply.IsFaulted) await apply;
        var delete = c.Manager.DeleteAsync("box", CancellationToken.None);
        await Task.Delay(200);
        c.Host.ApplyGate.SetResult();
        await apply;
        await delete;

        Assert.Null(c.Store.FindSandbox("box"));
        Assert.False(c.Host.Running.ContainsKey("box"));
    }
}
