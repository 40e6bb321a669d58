using Hive.Host;
using Hive.Daemon.Settings;
using Hive.Host.Settings;
using Hive.Server.Settings;
using Hive.Runtime.Host;

namespace Hive.Daemon.Tests;

public sealed class UsageRingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Cpu_percent_is_the_cpu_time_between_two_samples_over_the_time_between_them()
    {
        var ring = new UsageRing(4);
        Assert.Null(ring.Add(T0, new CgroupReading(1_000_000, 100, null, 1)).CpuPercent);
        // 1.5 s of CPU in 2 s: 75 % of one core; 4 s in 2 s: two cores busy.
        Assert.Equal(75, ring.Add(T0.AddSeconds(2), new CgroupReading(2_500_000, 100, null, 1)).CpuPercent);
        Assert.Equal(200, ring.Add(T0.AddSeconds(4), new CgroupReading(6_500_000, 100, null, 1)).CpuPercent);
    }

    [Fact]
    public void A_counter_that_went_back_after_a_restart_gives_no_percent()
    {
        var ring = new UsageRing(4);
        ring.Add(T0, new CgroupReading(9_000_000, 100, null, 1));
        Assert.Null(ring.Add(T0.AddSeconds(1), new CgroupReading(10, 100, null, 1)).CpuPercent);
    }

    [Fact]
    public void The_ring_keeps_the_newest_samples_oldest_first()
    {
        var ring = new UsageRing(3);
        for (var i = 0; i < 7; i++) ring.Add(T0.AddSeconds(i), new CgroupReading(i, i * 10, null, i));
        var s = ring.Snapshot();
        Assert.Equal([4L, 5L, 6L], s.Select(x => x.Pids));
        Assert.Equal([40L, 50L, 60L], s.Select(x => x.MemoryBytes));
    }

    [Fact]
    public void The_sampler_reads_tracked_sandboxes_keeps_samples_after_a_stop_and_drops_them_on_destroy()
    {
        var reads = 0;
        var sampler = new UsageSampler(name => name == "a" ? new CgroupReading(++reads * 1000, 4096, 8192, 2) : null,
            new UsageSettings(1, 2), TimeProvider.System);
        sampler.Track("a");
        sampler.Track("gone");
        sampler.SampleAll();
        sampler.SampleAll();
        Assert.Equal(2, sampler.History("a").Samples.Count);
        Assert.Equal(2, sampler.History("a").Capacity);
        Assert.Empty(sampler.History("gone").Samples);
        sampler.Pause("a");
        sampler.SampleAll();
        Assert.Equal(3, reads);
        Assert.Equal(3000, sampler.History("a").Samples[^1].CpuUsec);
        sampler.Forget("a");
        Assert.Empty(sampler.History("a").Samples);
    }
}

public sealed class UsageSettingsTests
{
    private static UsageSettings Parse(string json) => DaemonSettings.Parse(json, "127.0.0.1:9000", "10.201.0.0/16").Usage;

    [Fact]
    public void Defaults_sample_every_five_seconds_for_an_hour()
    {
        var u = Parse("{}");
        Assert.Equal(TimeSpan.FromSeconds(5), u.Interval);
        Assert.Equal(720, u.Samples);
        Assert.Equal(new UsageSettings(0.5, 100), Parse("""{ "usage": { "intervalSeconds": 0.5, "samples": 100 } }"""));
    }

    [Theory]
    [InlineData("""{ "usage": { "intervalSeconds": 0 } }""", "usage.intervalSeconds")]
    [InlineData("""{ "usage": { "intervalSeconds": "5" } }""", "usage.intervalSeconds")]
    [InlineData("""{ "usage": { "samples": 1 } }""", "usage.samples")]
    [InlineData("""{ "usage": { "samples": 100001 } }""", "usage.samples")]
    [InlineData("""{ "usage": { "samples": 2.5 } }""", "usage.samples")]
    [InlineData("""{ "usage": { "every": 1 } }""", "usage.every: unknown setting")]
    [InlineData("""{ "usage": 5 }""", "usage: must be an object")]
    public void Bad_values_are_refused_with_the_setting_named(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Parse(json));
        Assert.StartsWith(expected, e.Message);
    }
}
