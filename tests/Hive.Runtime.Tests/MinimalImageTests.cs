using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.Json;
using Hive.Runtime.Images;

namespace Hive.Runtime.Tests;

[SupportedOSPlatform("linux")]
public sealed class MinimalImageTests : IDisposable
{
    private readonly TempDir _dir = new("hive-images");

    public void Dispose() => _dir.Dispose();

    private string[] Entries() =>
        [.. Directory.EnumerateFileSystemEntries(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task Build_ProducesTheLayout()
    {
        Root.Require();
        var store = new ImageStore(_dir.Path);
        var progress = new SyncProgress();
        var info = await store.BuildAsync("hive/minimal", force: false, progress, CancellationToken.None);
        var rootfs = info.RootFs;

        Assert.Equal("hive/minimal", info.Name);
        Assert.Equal(_dir.Combine("hive_minimal", "rootfs"), rootfs);
        Assert.Equal([".lock-hive_minimal", "hive_minimal"], Entries());

        var sh = new FileInfo(Path.Combine(rootfs, "bin/sh"));
        Assert.Equal("busybox", sh.LinkTarget);
        Assert.True(File.Exists(Path.Combine(rootfs, "bin/busybox")));
        Assert.Null(new FileInfo(Path.Combine(rootfs, "bin/busybox")).LinkTarget);
        foreach (var applet in new[] { "ls", "cat", "echo", "sleep", "id", "env", "mkdir", "rm", "wc", "head", "dd", "nc", "wget", "ps", "kill", "true", "false", "seq" })
        {
            Assert.Equal("busybox", new FileInfo(Path.Combine(rootfs, "bin", applet)).LinkTarget);
        }
        Assert.True(File.Exists(Path.Combine(rootfs, "usr/bin/env")), "/usr/bin/env must resolve inside the rootfs");
        Assert.True(File.Exists(Path.Combine(rootfs, "sbin/ip")));

        var passwd = File.ReadAllLines(Path.Combine(rootfs, "etc/passwd"));
        Assert.Contains("root:x:0:0:root:/root:/bin/sh", passwd);
        Assert.Contains("agent:x:1000:1000:agent:/home/agent:/bin/sh", passwd);
        Assert.Contains("agent:x:1000:", File.ReadAllLines(Path.Combine(rootfs, "etc/group")));
        Assert.Contains("127.0.0.1\tlocalhost", File.ReadAllText(Path.Combine(rootfs, "etc/hosts")));
        Assert.Equal("", File.ReadAllText(Path.Combine(rootfs, "etc/resolv.conf")));
        Assert.Contains("hosts: files dns", File.ReadAllText(Path.Combine(rootfs, "etc/nsswitch.conf")));

        Assert.Equal((1000, 1000, "755"), Host.Stat(Path.Combine(rootfs, "workspace")));
        Assert.Equal((1000, 1000, "755"), Host.Stat(Path.Combine(rootfs, "home/agent")));
        Assert.Equal((0, 0, "1777"), Host.Stat(Path.Combine(rootfs, "tmp")));
        Assert.Equal((0, 0, "700"), Host.Stat(Path.Combine(rootfs, "root")));
        Assert.Equal((0, 0, "755"), Host.Stat(rootfs));
        foreach (var d in new[] { "dev", "proc", "sys", "run" }) Assert.True(Directory.Exists(Path.Combine(rootfs, d)), d);

        Assert.Equal(["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"], info.Cmd);
        Assert.Empty(info.Entrypoint);
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/home/agent"], info.Env);
        Assert.Equal("/workspace", info.WorkingDir);
        Assert.Equal("1000:1000", info.User);
        Assert.True(info.SizeBytes >= new FileInfo("/bin/busybox").Length);
        Assert.True(info.SizeBytes < new FileInfo("/bin/busybox").Length + 4096, "symlinks must not count");

        // Progress ends at 1 and never goes backwards.
        var fractions = progress.Reports.Select(r => r.Fraction).ToList();
        Assert.Equal(1, fractions[^1]);
        Assert.Equal(fractions.Order(), fractions);
    }

    [Fact]
    public async Task Build_RunsInAChroot()
    {
        Root.Require();
        var info = await new ImageStore(_dir.Path).BuildAsync("hive/minimal", false, null, CancellationToken.None);
        var output = Host.Run("chroot", "--userspec=1000:1000", info.RootFs, "/usr/bin/env", "sh", "-c",
            "id; cd /workspace && echo hi > f && wc -c < f && seq 3 | head -n 1; test -w /tmp && echo tmp-ok");
        Assert.Contains("uid=1000(agent) gid=1000(agent)", output);
        Assert.Contains("3\n1\ntmp-ok", output);
    }

    [Fact]
    public async Task ImageJson_RoundTrips()
    {
        Root.Require();
        var store = new ImageStore(_dir.Path);
        var built = await store.BuildAsync("hive/minimal", false, null, CancellationToken.None);

        var json = File.ReadAllText(_dir.Combine("hive_minimal", "image.json"));
        Assert.Contains("\"trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done\"", json); // readable, not \u0027
        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var key in new[] { "entrypoint", "cmd", "env", "workingDir", "user", "exposedPorts", "createdAt", "sizeBytes" })
        {
            Assert.Contains(key, names);
        }
        Assert.Equal("1000:1000", doc.RootElement.GetProperty("user").GetString());
        Assert.Equal(built.SizeBytes, doc.RootElement.GetProperty("sizeBytes").GetInt64());

        var found = new ImageStore(_dir.Path).Find("hive/minimal")!;
        Assert.NotNull(found);
        Assert.Equal(built.CreatedAt, found.CreatedAt);
        Assert.Equal(built.Cmd, found.Cmd);
        Assert.Equal(built.Env, found.Env);
        Assert.Equal(built.Entrypoint, found.Entrypoint);
        Assert.Equal(built.ExposedPorts, found.ExposedPorts);
        Assert.Equal(built.WorkingDir, found.WorkingDir);
        Assert.Equal(built.User, found.User);
        Assert.Equal(built.SizeBytes, found.SizeBytes);
        Assert.Equal(built.RootFs, found.RootFs);
    }

    [Fact]
    public async Task Build_IsCached_AndForceRebuilds()
    {
        Root.Require();
        var store = new ImageStore(_dir.Path);
        var first = await store.BuildAsync("hive/minimal", false, null, CancellationToken.None);
        File.WriteAllText(Path.Combine(first.RootFs, "workspace", "marker"), "x");

        var sw = Stopwatch.StartNew();
        var progress = new SyncProgress();
        var second = await store.BuildAsync("hive/minimal:latest", false, progress, CancellationToken.None);
        sw.Stop();
        Assert.True(sw.ElapsedMilliseconds < 500, $"cached build took {sw.ElapsedMilliseconds} ms");
        Assert.Equal(first.CreatedAt, second.CreatedAt);
        Assert.Equal("cached", Assert.Single(progress.Reports).Stage);
        Assert.True(File.Exists(Path.Combine(second.RootFs, "workspace", "marker")));

        var third = await store.BuildAsync("hive/minimal", true, null, CancellationToken.None);
        Assert.True(third.CreatedAt > first.CreatedAt);
        Assert.False(File.Exists(Path.Combine(third.RootFs, "workspace", "marker")), "force must rebuild from scratch");
        Assert.Equal([".lock-hive_minimal", "hive_minimal"], Entries()); // the replaced image is gone too
    }

    [Fact]
    public async Task ConcurrentForcedBuilds_SerialiseOnTheLock()
    {
        Root.Require();
        var store = new ImageStore(_dir.Path);
        var builds = Enumerable.Range(0, 4)
            .Select(_ => Task.Run(() => new ImageStore(_dir.Path).BuildAsync("hive/minimal", true, null, CancellationToken.None)))
            .ToArray();
        var results = await Task.WhenAll(builds);
        Assert.Equal(4, results.Select(r => r.CreatedAt).Distinct().Count());
        Assert.Equal([".lock-hive_minimal", "hive_minimal"], Entries());
        Assert.Equal(results.Max(r => r.CreatedAt), store.Find("hive/minimal")!.CreatedAt);
    }

    [Fact]
    public async Task ListFindRemove()
    {
        Root.Require();
        var store = new ImageStore(_dir.Path);
        Assert.Empty(store.List());
        Assert.Null(store.Find("hive/minimal"));
        Assert.False(store.Remove("hive/minimal"));

        await store.BuildAsync("hive/minimal", false, null, CancellationToken.None);
        // A crashed build's leftover and junk are not images.
        Directory.CreateDirectory(_dir.Combine("hive_base.partial-0badcafe", "rootfs"));
        File.WriteAllText(_dir.Combine("hive_base.partial-0badcafe", "image.json"), "{}");
        Directory.CreateDirectory(_dir.Combine("broken", "rootfs"));
        File.WriteAllText(_dir.Combine("broken", "image.json"), "{ not json");

        var listed = Assert.Single(store.List());
        Assert.Equal("hive/minimal", listed.Name);
        Assert.NotNull(store.Find("hive/minimal:latest"));
        Assert.Null(store.Find("hive/base"));

        Assert.True(store.Remove("hive/minimal:latest"));
        Assert.False(Directory.Exists(_dir.Combine("hive_minimal")));
        Assert.Null(store.Find("hive/minimal"));
        Assert.Empty(store.List());
        Assert.False(store.Remove("hive/minimal"));
    }

    [Fact]
    public async Task Build_RemovesLeftoversOfACrashedBuild()
    {
        Root.Require();
        var leftover = _dir.Combine("hive_minimal.partial-deadbeef", "rootfs", "etc");
        Directory.CreateDirectory(leftover);
        await new ImageStore(_dir.Path).BuildAsync("hive/minimal", false, null, CancellationToken.None);
        Assert.Equal([".lock-hive_minimal", "hive_minimal"], Entries());
    }

    [Fact]
    public async Task UnknownOrInvalidNames_Throw()
    {
        var store = new ImageStore(_dir.Path);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.BuildAsync("acme/tools", false, null, CancellationToken.None));
        Assert.Contains("hive/minimal", ex.Message);
        Assert.Contains("hive/base", ex.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => store.BuildAsync("hive/minimal:v2", false, null, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => store.Find("Hive/Minimal"));
        Assert.Throws<ArgumentException>(() => store.Find("../etc"));
        Assert.Throws<ArgumentException>(() => store.Remove("hive/"));
        Assert.Empty(Entries());
    }

    [Fact]
    public async Task Cancellation_LeavesNoPartialDirectory()
    {
        Root.Require();
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Stage == "configuring") cts.Cancel(); // mid-build: rootfs half written
        });
        var store = new ImageStore(_dir.Path);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.BuildAsync("hive/minimal", false, progress, cts.Token));
        Assert.Contains(progress.Reports, r => r.Stage == "configuring");
        Assert.Equal([".lock-hive_minimal"], Entries());
        Assert.Null(store.Find("hive/minimal"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.BuildAsync("hive/minimal", false, null, cts.Token));
        Assert.Equal([".lock-hive_minimal"], Entries());

        // The lock was released: a later build succeeds.
        Assert.NotNull(await store.BuildAsync("hive/minimal", false, null, CancellationToken.None));
    }

    [Fact]
    public async Task MissingOrDynamicBusybox_IsExplained()
    {
        Root.Require();
        var store = new ImageStore(_dir.Path, new ImageBuilderOptions { BusyboxPath = "/nonexistent/busybox" });
        var ex = await Assert.ThrowsAsync<ImageBuildException>(() => store.BuildAsync("hive/minimal", false, null, CancellationToken.None));
        Assert.Equal("hive/minimal needs busybox-static: apt-get install busybox-static", ex.Message);

        store = new ImageStore(_dir.Path, new ImageBuilderOptions { BusyboxPath = "/usr/bin/ls" });
        ex = await Assert.ThrowsAsync<ImageBuildException>(() => store.BuildAsync("hive/minimal", false, null, CancellationToken.None));
        Assert.StartsWith("hive/minimal needs busybox-static", ex.Message);
        Assert.Equal([".lock-hive_minimal"], Entries());
    }
}
