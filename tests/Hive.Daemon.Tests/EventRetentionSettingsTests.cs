using Hive.Daemon.Settings;
using Hive.Host.Settings;
using Hive.Server.Settings;

namespace Hive.Daemon.Tests;

public sealed class EventRetentionSettingsTests
{
    private static EventRetentionSettings Parse(string json) => DaemonSettings.Parse(json, "127.0.0.1:9000", "10.201.0.0/16").Events;

    [Fact]
    public void Defaults_keep_thirty_days_and_two_gigabytes()
    {
        var e = Parse("{}");
        Assert.Equal(TimeSpan.FromDays(30), e.MaxAge);
        Assert.Equal(2048L * 1024 * 1024, e.MaxBytes);
    }

    [Fact]
    public void Both_limits_can_be_set_or_turned_off()
    {
        var e = Parse("""{ "events": { "retentionDays": 7.5, "maxSizeMb": 512 } }""");
        Assert.Equal(TimeSpan.FromDays(7.5), e.MaxAge);
        Assert.Equal(512L * 1024 * 1024, e.MaxBytes);
        var off = Parse("""{ "events": { "retentionDays": 0, "maxSizeMb": 0 } }""");
        Assert.Null(off.MaxAge);
        Assert.Null(off.MaxBytes);
    }

    [Theory]
    [InlineData("""{ "events": { "retentionDays": -1 } }""", "events.retentionDays")]
    [InlineData("""{ "events": { "retentionDays": "30" } }""", "events.retentionDays")]
    [InlineData("""{ "events": { "maxSizeMb": 4 } }""", "events.maxSizeMb")]
    [InlineData("""{ "events": { "maxSizeMb": 1.5 } }""", "events.maxSizeMb")]
    [InlineData("""{ "events": { "keep": 1 } }""", "events.keep: unknown setting")]
    [InlineData("""{ "events": 30 }""", "events: must be an object")]
    public void Bad_values_are_refused_with_the_setting_named(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Parse(json));
        Assert.StartsWith(expected, e.Message);
    }
}
