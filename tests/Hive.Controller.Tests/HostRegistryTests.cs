using Hive.Core.Events;
using Hive.Daemon.Store;

namespace Hive.Controller.Tests;

public sealed class HostRegistryTests : IDisposable
{
    private readonly Cluster _c = new();

    public void Dispose() => _c.Dispose();

    [Fact]
    public void A_heartbeat_registers_the_host_with_what_it_says()
    {
        _c.Beat("h1", capacity: 7, labels: new Dictionary<string, string> { ["zone"] = "a" });
        var h = Assert.Single(_c.Registry.Hosts());
        Assert.Equal(("h1", 7, "https://h1:7443/", HostStatus.Live, Cluster.T0), (h.Name, h.Capacity, h.Advertise.ToString(), h.Status, h.LastSeen));
        Assert.Equal("a", h.Labels["zone"]);
    }

    [Fact]
    public async Task A_host_is_lost_after_three_missed_heartbeats_and_so_are_its_running_sandboxes()
    {
        _c.Beat("h1");
        await _c.CreateAsync("run");
        await _c.CreateAsync("stopped");
        _c.Store.UpdateSandbox("stopped", SandboxStatus.Stopped);

        _c.Clock.Advance(TimeSpan.FromSeconds(15)); // exactly three intervals: not yet
        Assert.Empty(_c.Registry.DetectLost());
        _c.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["h1"], _c.Registry.DetectLost());
        Assert.Empty(_c.Registry.DetectLost()); // once

        Assert.Equal(HostStatus.Lost, _c.Registry.Find("h1")!.Status);
        var run = _c.Store.FindSandbox("run")!;
        Assert.Equal(SandboxStatus.Lost, run.Status);
        Assert.Contains("h1", run.Error);
        Assert.Equal(SandboxStatus.Stopped, _c.Store.FindSandbox("stopped")!.Status);
        var lost = Assert.Single(_c.EventsOf("run"), e => e.Type == EventTypes.SandboxLost);
        Assert.Contains("\"host\":\"h1\"", lost.Data);
        Assert.DoesNotContain(_c.EventsOf("stopped"), e => e.Type == EventTypes.SandboxLost);
    }

    [Fact]
    public async Task A_returning_host_brings_back_what_it_still_runs_and_stops_the_rest()
    {
        _c.Beat("h1");
        await _c.CreateAsync("kept");
        await _c.CreateAsync("gone");
        _c.Clock.Advance(TimeSpan.FromSeconds(16));
        _c.Registry.DetectLost();
        _c.Fake("h1").Running.TryRemove("gone", out _); // the host lost it meanwhile

        _c.Clock.Advance(TimeSpan.FromSeconds(60));
        var answer = _c.Beat("h1");
        Assert.Empty(answer.Unknown);
        Assert.Equal(HostStatus.Live, _c.Registry.Find("h1")!.Status);
        Assert.Equal((SandboxStatus.Running, null), (_c.Store.FindSandbox("kept")!.Status, _c.Store.FindSandbox("kept")!.Error));
        Assert.Equal(SandboxStatus.Stopped, _c.Store.FindSandbox("gone")!.Status);
        Assert.Contains(_c.EventsOf("kept"), e => e.Type == EventTypes.SandboxStarted && e.Data.Contains("host returned"));
        Assert.Contains(_c.EventsOf("gone"), e => e.Type == EventTypes.SandboxStopped && e.Data.Contains("not running when its host returned"));
    }

    [Fact]
    public async Task A_heartbeat_names_sandboxes_the_host_runs_that_are_not_placed_on_it()
    {
        _c.Beat("h1");
        await _c.CreateAsync("mine");
        _c.Fake("h1").Running["stray"] = 0;
        Assert.Equal(["stray"], _c.Beat("h1").Unknown);
    }

    [Fact]
    public void A_heartbeat_in_time_keeps_the_host_live()
    {
        _c.Beat("h1");
        for (var i = 0; i < 10; i++)
        {
            _c.Clock.Advance(TimeSpan.FromSeconds(5));
            _c.Beat("h1");
            Assert.Empty(_c.Registry.DetectLost());
        }
    }

    [Fact]
    public async Task A_new_boot_id_prepares_the_host_again()
    {
        _c.Beat("h1", boot: "b1");
        await _c.CreateAsync("box");
        var before = _c.Fake("h1").Startups;
        _c.Beat("h1", boot: "b1");
        Assert.Equal(before, _c.Fake("h1").Startups);
        _c.Beat("h1", boot: "b2");
        await WaitUntil(() => _c.Fake("h1").Startups == before + 1);
        Assert.Contains("box", _c.Fake("h1").Known.Keys); // told what is placed on it: nothing removed
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition());
    }
}
