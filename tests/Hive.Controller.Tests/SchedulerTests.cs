using Hive.Core.Config;
using Hive.Daemon.Cluster;
using Hive.Daemon.Store;

namespace Hive.Controller.Tests;

public sealed class SchedulerTests
{
    private static HostRecord H(string name, int capacity, string status = HostStatus.Live, params (string, string)[] labels) =>
        new(name, new Uri($"https://{name}:7443/"), capacity, labels.ToDictionary(l => l.Item1, l => l.Item2), Cluster.T0, status);

    private static Dictionary<string, int> Placed(params (string, int)[] counts) => counts.ToDictionary(c => c.Item1, c => c.Item2);

    [Fact]
    public void The_host_with_the_most_free_capacity_wins_not_the_emptiest_or_the_largest()
    {
        // a: 10-2=8 free, b: 20-15=5 free, c: 9-0=9 free
        var pick = Scheduler.Pick([H("a", 10), H("b", 20), H("c", 9)], Placed(("a", 2), ("b", 15)));
        Assert.Equal("c", pick.Name);
    }

    [Fact]
    public void Ties_go_to_the_host_named_first()
    {
        Assert.Equal("a", Scheduler.Pick([H("b", 5), H("a", 5)], Placed()).Name);
    }

    [Fact]
    public void Lost_and_excluded_hosts_are_never_picked()
    {
        var hosts = new[] { H("a", 100, HostStatus.Lost), H("b", 3), H("c", 2) };
        Assert.Equal("b", Scheduler.Pick(hosts, Placed()).Name);
        Assert.Equal("c", Scheduler.Pick(hosts, Placed(), exclude: new HashSet<string> { "b" }).Name);
    }

    [Fact]
    public void Required_labels_must_all_match()
    {
        var hosts = new[] { H("a", 50, HostStatus.Live, ("zone", "x")), H("b", 5, HostStatus.Live, ("zone", "y"), ("gpu", "1")) };
        Assert.Equal("b", Scheduler.Pick(hosts, Placed(), new Dictionary<string, string> { ["zone"] = "y" }).Name);
        var e = Assert.Throws<HostException>(() => Scheduler.Pick(hosts, Placed(), new Dictionary<string, string> { ["zone"] = "x", ["gpu"] = "1" }));
        Assert.Equal(HostErrorKind.Unavailable, e.Kind);
        Assert.Contains("zone=x, gpu=1", e.Message);
    }

    [Fact]
    public void When_every_host_is_full_the_error_says_which_and_how_full()
    {
        var e = Assert.Throws<HostException>(() => Scheduler.Pick([H("a", 2), H("b", 1)], Placed(("a", 2), ("b", 1))));
        Assert.Equal(HostErrorKind.Unavailable, e.Kind);
        Assert.Contains("every live host is full: a 2/2, b 1/1", e.Message);
    }

    [Fact]
    public void No_host_registered_and_none_live_are_told_apart()
    {
        Assert.Contains("no sandbox host has registered", Assert.Throws<HostException>(() => Scheduler.Pick([], Placed())).Message);
        Assert.Contains("no sandbox host is live: a (lost)", Assert.Throws<HostException>(() => Scheduler.Pick([H("a", 5, HostStatus.Lost)], Placed())).Message);
    }

    [Fact]
    public void A_local_volume_pins_a_sandbox_an_empty_fs_does_not()
    {
        Assert.True(Scheduler.IsPinned(ConfigParser.Parse("{}", "box").Config!)); // the default workspace is a local volume
        Assert.False(Scheduler.IsPinned(ConfigParser.Parse("""{ "fs": [] }""", "box").Config!));
        const string s3 = """{ "backend": "s3", "mount": "/data", "bucket": "team-data", "credentials": "store-key" }""";
        Assert.False(Scheduler.IsPinned(Parsed($$"""{ "fs": [ {{s3}} ] }"""))); // object-store only: it may move
        Assert.True(Scheduler.IsPinned(Parsed($$"""{ "fs": [ {{s3}}, { "backend": "local", "mount": "/workspace" } ] }""")));
    }

    private static Hive.Core.Config.SandboxConfig Parsed(string json)
    {
        var parsed = ConfigParser.Parse(json, "box");
        Assert.True(parsed.Ok, string.Join("; ", parsed.Errors));
        return parsed.Config!;
    }
}
