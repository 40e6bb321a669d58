using System.Collections.Concurrent;
using Hive.Core.Secrets;
using Hive.Daemon.Cluster;
using Hive.Daemon.Events;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Secrets;
using Hive.Daemon.Store;
using Hive.Tests.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hive.Controller.Tests;

/// <summary>
/// Two controllers on one real PostgreSQL (started by the test), one clock: the leader's TTL counts a sandbox's idle time
/// from its last use through either controller, and a command under way through the other one keeps it alive.
/// </summary>
public sealed class SharedTtlTests : IDisposable
{
    private static readonly ExecSpec Cmd = new(["true"], null, null, null, TimeSpan.FromSeconds(5), 0, 0);

    private readonly PostgresServer _pg = PostgresServer.Start();
    private readonly ManualClock _clock = new(Cluster.T0);
    private readonly ConcurrentDictionary<string, FakeHost> _hosts = new(StringComparer.Ordinal);
    private readonly MasterKey _key = MasterKey.Generate();
    private readonly Controller _leader, _other;

    public SharedTtlTests()
    {
        var url = DatabaseUrl.Parse(_pg.Url(_pg.CreateDatabase()));
        _leader = new Controller(url, this);
        _other = new Controller(url, this);
        new HostRegistry(_leader.Store, _leader.Events, _clock, HostRegistry.DefaultInterval, NullLogger.Instance)
            .Heartbeat("h1", new Hive.Host.Abstractions.Cluster.HostHeartbeat(new Uri("https://h1:7443/"), 10, new Dictionary<string, string>(), [], "test", "b1"));
    }

    /// <summary>One controller process: its own store connection, event bus, cluster host and manager.</summary>
    private sealed class Controller : IDisposable
    {
        public Controller(DatabaseUrl url, SharedTtlTests t)
        {
            Store = new PostgresStore(url);
            Events = new EventBus(Store);
            Host = new ClusterSandboxHost(Store, h => t._hosts.GetOrAdd(h.Name, n => new FakeHost(n)), NullLogger.Instance);
            var secrets = new SecretService(Store, t._key, Host, NullLogger<SecretService>.Instance);
            Manager = new SandboxManager(Store, Events, Host, secrets, int.MaxValue, NullLogger<SandboxManager>.Instance, t._clock);
        }

        public PostgresStore Store { get; }
        public EventBus Events { get; }
        public ClusterSandboxHost Host { get; }
        public SandboxManager Manager { get; }

        public void Dispose()
        {
            Host.Dispose();
            Events.Dispose();
            Store.Dispose();
        }
    }

    public void Dispose()
    {
        _leader.Dispose();
        _other.Dispose();
        _pg.Dispose();
    }

    private string Status(string name) => _leader.Store.FindSandbox(name)!.Status;

    /// <summary>One second of both controllers' loops: each reports what it served, then the leader checks the TTLs.</summary>
    private async Task TickAsync(TimeSpan advance)
    {
        _clock.Advance(advance);
        _leader.Manager.ShareActivity();
        _other.Manager.ShareActivity();
        await _leader.Manager.ExpireIdleAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_sandbox_used_only_through_another_controller_is_not_idle_to_the_leader()
    {
        await _other.Manager.GetOrCreateAsync("box", """{ "ttl": 60 }"""u8.ToArray(), CancellationToken.None);
        await TickAsync(TimeSpan.FromSeconds(50));
        Assert.Equal(SandboxStatus.Running, Status("box"));

        // Used through the other controller 50 s in: 70 s after its creation it has been idle 20 s.
        await _other.Manager.ExecAsync("box", Cmd, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None);
        await TickAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(SandboxStatus.Running, Status("box"));
        Assert.Equal(Cluster.T0.AddSeconds(50), _leader.Store.FindSandbox("box")!.LastActive);

        await TickAsync(TimeSpan.FromSeconds(41));
        Assert.Equal(SandboxStatus.Stopped, Status("box"));
        Assert.Contains("stop box", _hosts["h1"].Calls);
    }

    [Fact]
    public async Task A_long_command_through_another_controller_keeps_its_sandbox_and_a_dead_controller_vouches_no_more()
    {
        await _other.Manager.GetOrCreateAsync("box", """{ "ttl": 30 }"""u8.ToArray(), CancellationToken.None);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hosts["h1"].ExecGate = gate;
        var exec = _other.Manager.ExecAsync("box", Cmd, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None);
        for (var i = 0; i < 10; i++) await TickAsync(TimeSpan.FromSeconds(10)); // 100 s of one command, three TTLs
        Assert.Equal(SandboxStatus.Running, Status("box"));
        gate.SetResult();
        await exec;

        // The other controller goes away (it reports nothing more): the leader stops the sandbox a TTL after its last use.
        _other.Manager.ShareActivity();
        _clock.Advance(TimeSpan.FromSeconds(29));
        await _leader.Manager.ExpireIdleAsync(CancellationToken.None);
        Assert.Equal(SandboxStatus.Running, Status("box"));
        _clock.Advance(TimeSpan.FromSeconds(2));
        await _leader.Manager.ExpireIdleAsync(CancellationToken.None);
        Assert.Equal(SandboxStatus.Stopped, Status("box"));
    }
}
