using Hive.Core.Secrets;
using Hive.Daemon.Api;
using Hive.Daemon.Cluster;
using Hive.Daemon.Events;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Secrets;
using Hive.Daemon.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hive.Controller.Tests;

public sealed class ClusterSandboxHostTests : IDisposable
{
    private readonly Cluster _c = new();

    public void Dispose() => _c.Dispose();

    private static ExecSpec Cmd => new(["true"], null, null, null, TimeSpan.FromSeconds(5), 0, 0);

    [Fact]
    public async Task Forty_sandboxes_spread_over_two_hosts_by_free_capacity_and_each_runs_where_the_store_says()
    {
        _c.Beat("h1", capacity: 30);
        _c.Beat("h2", capacity: 30);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => _c.CreateAsync($"s{i}")));
        var placed = _c.Store.CountSandboxesByHost();
        Assert.Equal(new Dictionary<string, int> { ["h1"] = 20, ["h2"] = 20 }, placed);
        foreach (var s in _c.Store.ListSandboxes())
        {
            Assert.Equal(SandboxStatus.Running, s.Status);
            Assert.True(_c.Fake(s.Host!).Running.ContainsKey(s.Name));
            Assert.False(_c.Fake(s.Host == "h1" ? "h2" : "h1").Known.ContainsKey(s.Name));
        }
    }

    [Fact]
    public async Task Every_call_about_a_sandbox_goes_to_its_host_only()
    {
        _c.Beat("h1");
        _c.Beat("h2");
        await _c.CreateAsync("a"); // h1 (tie, named first)
        await _c.CreateAsync("b"); // h2 (more free)
        Assert.Equal(("h1", "h2"), (_c.Store.FindSandbox("a")!.Host, _c.Store.FindSandbox("b")!.Host));
        await _c.Manager.ExecAsync("b", Cmd, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None);
        await _c.Manager.WriteFileAsync("b", "/workspace/x", new MemoryStream([1]), CancellationToken.None);
        await _c.Manager.UsageAsync("b", CancellationToken.None);
        await _c.Manager.ApplyConfigAsync("b", "{ \"ttl\": 60 }"u8.ToArray(), CancellationToken.None);
        Assert.Contains("exec b", _c.Fake("h2").Calls);
        Assert.Contains("write b", _c.Fake("h2").Calls);
        Assert.Contains("usage b", _c.Fake("h2").Calls);
        Assert.Contains("apply b", _c.Fake("h2").Calls);
        Assert.DoesNotContain(_c.Fake("h1").Calls, c => c.EndsWith(" b"));
        Assert.Equal(new Uri("http://h2.invalid/"), _c.Host.Ingress(new HostedSandbox("b", _c.Store.FindSandbox("b")!.Config)).Address);
    }

    [Fact]
    public async Task With_every_host_full_a_create_answers_503_naming_why_and_starts_once_a_host_has_room()
    {
        _c.Beat("h1", capacity: 1);
        await _c.CreateAsync("one");
        var e = await Assert.ThrowsAsync<HostException>(() => _c.CreateAsync("two"));
        Assert.Equal((HostErrorKind.Unavailable, 503), (e.Kind, ApiErrors.Status(e.Kind)));
        Assert.Contains("every live host is full: h1 1/1", e.Message);
        Assert.Equal((SandboxStatus.Failed, null), (_c.Store.FindSandbox("two")!.Status, _c.Store.FindSandbox("two")!.Host));

        _c.Beat("h2", capacity: 1);
        var (again, created) = await _c.CreateAsync("two");
        Assert.False(created);
        Assert.Equal((SandboxStatus.Running, "h2"), (again.Status, _c.Store.FindSandbox("two")!.Host));
    }

    [Fact]
    public async Task A_sandbox_with_a_local_volume_waits_for_its_lost_host_one_without_moves()
    {
        _c.Beat("h1");
        await _c.CreateAsync("pinned");
        await _c.CreateAsync("free", """{ "fs": [] }""");
        Assert.Equal("h1", _c.Store.FindSandbox("free")!.Host);
        _c.Clock.Advance(TimeSpan.FromSeconds(16));
        _c.Beat("h2");
        _c.Registry.DetectLost();

        var e = await Assert.ThrowsAsync<HostException>(() => _c.Manager.ExecAsync("pinned", Cmd, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None));
        Assert.Equal(HostErrorKind.Unavailable, e.Kind);
        Assert.Contains("keeps its local volumes on host \"h1\"", e.Message);
        Assert.Equal((SandboxStatus.Lost, "h1"), (_c.Store.FindSandbox("pinned")!.Status, _c.Store.FindSandbox("pinned")!.Host));

        await _c.Manager.ExecAsync("free", Cmd, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None);
        Assert.Equal((SandboxStatus.Running, "h2"), (_c.Store.FindSandbox("free")!.Status, _c.Store.FindSandbox("free")!.Host));
        Assert.True(_c.Fake("h2").Running.ContainsKey("free"));
    }

    private const string S3Only = """
        { "fs": [ { "backend": "s3", "mount": "/data", "bucket": "team", "endpoint": "http://127.0.0.1:9/", "credentials": "store-key" } ] }
        """;

    [Fact]
    public async Task An_object_store_sandbox_is_checked_with_its_credentials_gets_them_on_its_host_and_moves_when_its_host_is_lost()
    {
        _c.Secrets.Set("store-key", new SecretSetRequest("AKIA:store-secret", null, ["store.example"], SecretAuth.Bearer, Global: false, Sandbox: null));
        _c.Beat("h1");
        await _c.CreateAsync("data", S3Only);
        Assert.Equal(new Dictionary<string, string> { ["store-key"] = "AKIA:store-secret" }, Assert.Single(_c.Fake("h1").StoreChecks));
        Assert.Equal("AKIA:store-secret", _c.Fake("h1").Secrets["data"]!.Storage["store-key"]);
        Assert.Contains("AKIA:store-secret", _c.Host.SecretValues("data"));

        _c.Clock.Advance(TimeSpan.FromSeconds(16));
        _c.Beat("h2");
        _c.Registry.DetectLost();
        await _c.Manager.ExecAsync("data", Cmd, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None);
        Assert.Equal((SandboxStatus.Running, "h2"), (_c.Store.FindSandbox("data")!.Status, _c.Store.FindSandbox("data")!.Host));
        Assert.Equal("AKIA:store-secret", _c.Fake("h2").Secrets["data"]!.Storage["store-key"]);
    }

    [Fact]
    public async Task A_sandbox_deleted_while_its_host_is_lost_is_gone_and_the_returning_host_hears_of_it()
    {
        _c.Beat("h1");
        await _c.CreateAsync("box");
        _c.Clock.Advance(TimeSpan.FromSeconds(16));
        _c.Registry.DetectLost();
        _c.Fake("h1").Down = true;
        await _c.Manager.DeleteAsync("box", CancellationToken.None);
        Assert.Null(_c.Store.FindSandbox("box"));
        _c.Fake("h1").Down = false;
        Assert.Equal(["box"], _c.Beat("h1").Unknown);
    }

    [Fact]
    public async Task Secrets_set_before_a_sandbox_is_placed_reach_its_host_before_it_starts()
    {
        _c.Beat("h1");
        var substitution = new SecretSubstitution([]);
        _c.Host.SetSecrets("box", new SandboxSecrets(new Dictionary<string, string> { ["K"] = "stand-in" }, substitution));
        Assert.Empty(_c.Fake("h1").Secrets);
        var config = Hive.Core.Config.ConfigParser.Parse("{}", "box").Config!;
        _c.Store.InsertSandbox("box", config, Cluster.T0, int.MaxValue);
        await _c.Host.StartAsync(new HostedSandbox("box", config), CancellationToken.None);
        Assert.Equal("stand-in", _c.Fake("h1").Secrets["box"]!.Env["K"]);
        Assert.Equal("h1", _c.Store.FindSandbox("box")!.Host);
    }

    [Fact]
    public async Task Creating_one_name_many_times_at_once_creates_and_places_it_once()
    {
        _c.Beat("h1");
        _c.Beat("h2");
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => _c.CreateAsync("same"))));
        Assert.Single(results, r => r.Created);
        var host = _c.Store.FindSandbox("same")!.Host!;
        Assert.Single(_c.Fake(host).Calls, c => c == "start same");
        Assert.DoesNotContain(_c.Fake(host == "h1" ? "h2" : "h1").Calls, c => c == "start same");
    }

    [Fact]
    public async Task Applies_and_deletes_racing_a_create_leave_nothing_running_that_the_store_does_not_know()
    {
        _c.Beat("h1");
        _c.Beat("h2");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _c.Fake("h1").StartGate = gate;
        var create = _c.CreateAsync("box");
        await HostRegistryTests.WaitUntil(() => _c.Fake("h1").Calls.Contains("start box"));
        var apply = Task.Run(() => _c.Manager.ApplyConfigAsync("box", "{ \"ttl\": 30 }"u8.ToArray(), CancellationToken.None));
        var delete = Task.Run(() => _c.Manager.DeleteAsync("box", CancellationToken.None));
        await Task.Delay(100);
        Assert.False(apply.IsCompleted || delete.IsCompleted, "both wait for the create's lifecycle lock");
        gate.SetResult();
        await create;
        await delete;
        try { await apply; }
        catch (ApiProblem p) when (p.Status == 404) { } // the delete went first
        Assert.Null(_c.Store.FindSandbox("box"));
        Assert.Empty(_c.Fake("h1").Running);
        Assert.Empty(_c.Fake("h2").Running);
    }

    [Fact]
    public async Task Two_controllers_placing_at_once_never_place_a_sandbox_twice()
    {
        _c.Beat("h1", capacity: 100);
        _c.Beat("h2", capacity: 100);
        using var other = new ClusterSandboxHost(_c.Store, h => _c.Fake(h.Name), NullLogger.Instance);
        var config = Hive.Core.Config.ConfigParser.Parse("{}", "x").Config!;
        for (var i = 0; i < 30; i++) _c.Store.InsertSandbox($"s{i}", config, Cluster.T0, int.MaxValue);
        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() =>
            (i % 2 == 0 ? _c.Host : other).StartAsync(new HostedSandbox($"s{i / 2}", config), CancellationToken.None))));
        foreach (var s in _c.Store.ListSandboxes())
        {
            Assert.NotNull(s.Host);
            Assert.False(_c.Fake(s.Host == "h1" ? "h2" : "h1").Known.ContainsKey(s.Name), $"{s.Name} started on both hosts");
        }
    }

    [Fact]
    public async Task A_restarted_controller_prepares_each_host_with_its_sandboxes_and_keeps_those_on_an_unreachable_host()
    {
        _c.Beat("h1");
        _c.Beat("h2");
        await _c.CreateAsync("a");
        await _c.CreateAsync("b");
        _c.Fake("h2").Down = true;

        using var restarted = new ClusterSandboxHost(_c.Store, h => _c.Fake(h.Name), NullLogger.Instance);
        var manager = new SandboxManager(_c.Store, _c.Events, restarted, new SecretService(_c.Store, MasterKey.Generate(), restarted, NullLogger<SecretService>.Instance),
            int.MaxValue, NullLogger<SandboxManager>.Instance);
        var startups = _c.Fake("h1").Startups;
        await manager.StartupAsync(CancellationToken.None);
        Assert.Equal(startups + 1, _c.Fake("h1").Startups);
        Assert.Contains("a", _c.Fake("h1").Running.Keys);
        Assert.Equal(SandboxStatus.Running, _c.Store.FindSandbox("a")!.Status);
        Assert.Equal(SandboxStatus.Running, _c.Store.FindSandbox("b")!.Status); // lost detection decides about h2, not a restart
    }

    [Fact]
    public async Task Approvals_of_every_live_host_are_listed_together()
    {
        _c.Beat("h1");
        _c.Beat("h2");
        Assert.Empty(_c.Host.Approvals.Pending());
        Assert.Null(_c.Host.Approvals.Find("apr_0000000000000000"));
        await Task.CompletedTask;
    }
}
