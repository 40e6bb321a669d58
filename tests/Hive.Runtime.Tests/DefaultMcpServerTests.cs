using Hive.Runtime.Host;
using Hive.Runtime.Images;

namespace Hive.Runtime.Tests;

public sealed class DefaultMcpServerTests : IDisposable
{
    private readonly string _binary = Path.Combine(Path.GetTempPath(), $"hive-mcp-test-{Guid.NewGuid():N}");

    public DefaultMcpServerTests() => File.WriteAllText(_binary, "#!/bin/sh\n");

    public void Dispose() => File.Delete(_binary);

    private static ImageInfo Image(string name, string workingDir = "/workspace") => new(name, "/rootfs", ["/usr/bin/tini", "-s", "--"],
        ["/bin/sh", "-c", "sleep"], ["PATH=/bin"], workingDir, "1000:1000", [], DateTimeOffset.UnixEpoch, 0);

    [Fact]
    public void Only_hive_base_gets_the_server_and_only_when_the_binary_exists()
    {
        var mcp = new DefaultMcpServer(_binary);
        Assert.True(mcp.AppliesTo(Image("hive/base")));
        Assert.False(mcp.AppliesTo(Image("hive/minimal")));
        Assert.False(mcp.AppliesTo(Image("acme/hive-base")));
        var none = new DefaultMcpServer(_binary + ".missing");
        Assert.Null(none.Binary);
        Assert.False(none.AppliesTo(Image("hive/base")));
        Assert.Throws<InvalidOperationException>(() => none.Apply(Image("hive/base")));
    }

    [Fact]
    public void The_binary_is_mounted_read_only_and_the_init_supervises_it_beside_the_sleeper()
    {
        var (image, mount) = new DefaultMcpServer(_binary).Apply(Image("hive/base", "/work dir/it's"));
        Assert.Equal(new MountPlan(DefaultMcpServer.SandboxPath, _binary, ReadOnly: true), mount);
        Assert.Equal(["/usr/bin/tini", "-s", "--"], image.Entrypoint); // the image's init stays PID 1
        Assert.Equal("/bin/sh", image.Cmd[0]);
        var script = image.Cmd[2];
        Assert.Contains("/opt/hive/bin/hive-mcp --version", script); // skipped where the libc cannot run it
        Assert.Contains("--listen 0.0.0.0:8080 --cwd '/work dir/it'\\''s'", script);
        Assert.Contains("sleep $d; [ $d -lt 32 ] && d=$((d * 2)); done) &", script); // restarted, with backoff, when it exits
        Assert.Contains("trap 'exit 0' TERM INT", script);
        Assert.Equal("1000:1000", image.User); // runs as the agent
    }
}
