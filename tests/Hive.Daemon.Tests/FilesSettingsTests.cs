using Hive.Daemon.Settings;
using Hive.Host.Settings;
using Hive.Server.Settings;

namespace Hive.Daemon.Tests;

public sealed class FilesSettingsTests
{
    private static FilesSettings Parse(string json) => DaemonSettings.Parse(json, "127.0.0.1:9000", "10.201.0.0/16").Files;

    [Fact]
    public void Io_uring_is_off_unless_asked_for()
    {
        Assert.False(Parse("{}").IoUring);
        Assert.True(Parse("""{ "files": { "ioUring": true } }""").IoUring);
        Assert.False(Parse("""{ "files": { "ioUring": false } }""").IoUring);
    }

    [Theory]
    [InlineData("""{ "files": { "ioUring": "yes" } }""", "files.ioUring: must be true or false")]
    [InlineData("""{ "files": { "uring": true } }""", "files.uring: unknown setting")]
    [InlineData("""{ "files": true }""", "files: must be an object")]
    public void Bad_values_are_refused_with_the_setting_named(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Parse(json));
        Assert.StartsWith(expected, e.Message);
    }
}
