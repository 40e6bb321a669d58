using System.Runtime.Versioning;
using Hive.Runtime.Images;

namespace Hive.Runtime.Tests;

/// <summary>
/// hive/base through the store with a fake debootstrap (a shell script): the real one takes minutes and needs the
/// network, so it is exercised by hand (see the recorded sample in testdata/), never in unit tests.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class BaseImageBuilderTests : IDisposable
{
    private readonly TempDir _dir = new("hive-images");
    private readonly TempDir _tools = new("hive-fake-debootstrap");

    public void Dispose()
    {
        _dir.Dispose();
        _tools.Dispose();
    }

    private static string SamplePath => Path.Combine(AppContext.BaseDirectory, "testdata", "debootstrap-bookworm-minbase.log");

    private ImageStore StoreWithFake(string body)
    {
        var script = _tools.Combine("debootstrap");
        File.WriteAllText(script, "#!/bin/sh\nset -e\nprintf '%s\\n' \"$@\" > " + _tools.Combine("args") + "\ntarget=\"$4\"\n" + body);
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        return new ImageStore(_dir.Path, new ImageBuilderOptions { Debootstrap = script, Mirror = "http://mirror.test/debian" });
    }

    private string[] Entries() =>
        [.. Directory.EnumerateFileSystemEntries(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task Build_RunsDebootstrap_ThenAddsAgentAndCleans()
    {
        Root.Require();
        var store = StoreWithFake($"""
            mkdir -p "$target/etc/skel" "$target/var/cache/apt/archives/partial" "$target/var/lib/apt/lists/partial" "$target/usr/bin"
            printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$target/etc/passwd"
            printf 'root:x:0:\nnogroup:x:65534:\n' > "$target/etc/group"
            printf 'root:*:19000:0:99999:7:::\n' > "$target/etc/shadow"; chmod 640 "$target/etc/shadow"
            printf 'root:*::\n' > "$target/etc/gshadow"
            echo 'PS1=x' > "$target/etc/skel/.bashrc"
            echo host-name > "$target/etc/hostname"; echo 'nameserver 10.9.9.9' > "$target/etc/resolv.conf"
            head -c 1000 /dev/zero > "$target/var/cache/apt/archives/bash_5.2_amd64.deb"
            head -c 1000 /dev/zero > "$target/var/cache/apt/pkgcache.bin"
            head -c 1000 /dev/zero > "$target/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"
            head -c 5000 /dev/zero > "$target/usr/bin/tini"
            ln -s tini "$target/usr/bin/tini-link"
            cat '{SamplePath}'
            """);
        var progress = new SyncProgress();
        var info = await store.BuildAsync("hive/base", false, progress, CancellationToken.None);
        var rootfs = info.RootFs;

        var args = File.ReadAllLines(_tools.Combine("args"));
        Assert.Equal("--variant=minbase", args[0]);
        Assert.Equal("--include=bash,coreutils,curl,git,python3,ca-certificates,procps,iproute2,less,tini", args[1]);
        Assert.Equal("bookworm", args[2]);
        Assert.Matches(@"/hive_base\.partial-[0-9a-f]{8}/rootfs$", args[3]);
        Assert.Equal("http://mirror.test/debian", args[4]);

        Assert.Contains("agent:x:1000:1000:agent:/home/agent:/bin/bash", File.ReadAllLines(Path.Combine(rootfs, "etc/passwd")));
        Assert.Contains("agent:x:1000:", File.ReadAllLines(Path.Combine(rootfs, "etc/group")));
        Assert.Contains(File.ReadAllLines(Path.Combine(rootfs, "etc/shadow")), l => l.StartsWith("agent:!:", StringComparison.Ordinal));
        Assert.Equal("640", Host.Stat(Path.Combine(rootfs, "etc/shadow")).Mode);
        Assert.Contains("agent:!::", File.ReadAllLines(Path.Combine(rootfs, "etc/gshadow")));
        Assert.Equal((1000, 1000, "755"), Host.Stat(Path.Combine(rootfs, "home/agent")));
        Assert.Equal((1000, 1000, "644"), Host.Stat(Path.Combine(rootfs, "home/agent/.bashrc")));
        Assert.Equal((1000, 1000, "755"), Host.Stat(Path.Combine(rootfs, "workspace")));
        Assert.Contains("127.0.0.1\tlocalhost", File.ReadAllText(Path.Combine(rootfs, "etc/hosts")));
        Assert.Equal("", File.ReadAllText(Path.Combine(rootfs, "etc/resolv.conf")));
        Assert.DoesNotContain("host-name", File.ReadAllText(Path.Combine(rootfs, "etc/hostname")));
        Assert.Empty(Directory.GetFiles(Path.Combine(rootfs, "var/cache/apt"), "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(rootfs, "var/lib/apt/lists")));

        Assert.Equal(["/usr/bin/tini", "-s", "--"], info.Entrypoint);
        Assert.Equal(["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"], info.Cmd);
        Assert.Contains("LANG=C.UTF-8", info.Env);
        Assert.Contains("HOME=/home/agent", info.Env);
        Assert.Equal("/workspace", info.WorkingDir);
        Assert.Equal("1000:1000", info.User);
        Assert.Equal(RegularFileBytes(rootfs), info.SizeBytes);
        Assert.True(info.SizeBytes >= 5000);

        var stages = progress.Reports.Select(r => r.Stage).Distinct().ToList();
        Assert.Equal(["resolving", "retrieving", "validating", "extracting", "unpacking", "configuring", "finishing"], stages);
        var fractions = progress.Reports.Select(r => r.Fraction).ToList();
        Assert.Equal(fractions.Order(), fractions);
        Assert.Equal(1, fractions[^1]);
        Assert.Equal([".lock-hive_base", "hive_base"], Entries());
    }

    private static long RegularFileBytes(string root) =>
        new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => f.LinkTarget is null).Sum(f => f.Length);

    [Fact]
    public async Task Failure_ReportsTheLastTwentyLines_AndLeavesNothing()
    {
        Root.Require();
        var store = StoreWithFake("""
            mkdir -p "$target"
            for i in $(seq 1 30); do echo "line $i"; done
            sleep 0.3 # stdout and stderr are separate pipes: keep their order deterministic
            echo "E: Couldn't find these debs: tini" >&2
            exit 3
            """);
        var ex = await Assert.ThrowsAsync<ImageBuildException>(() => store.BuildAsync("hive/base", false, null, CancellationToken.None));
        Assert.Contains("exit code 3", ex.Message);
        Assert.Contains("line 30", ex.Message);
        Assert.Contains("line 12", ex.Message);
        Assert.DoesNotContain("line 11\n", ex.Message); // 19 stdout lines + 1 stderr line = the last 20
        Assert.Contains("Couldn't find these debs: tini", ex.Message);
        Assert.Equal([".lock-hive_base"], Entries());
    }

    [Fact]
    public async Task Cancellation_KillsTheProcessTree_UnmountsAndLeavesNothing()
    {
        Root.Require();
        var pids = _tools.Combine("pids");
        // Like debootstrap, leave /proc mounted inside the target; the deleter must unmount it rather than walk into it.
        var store = StoreWithFake($"""
            mkdir -p "$target/proc"
            mount -t proc proc "$target/proc"
            sleep 300 &
            echo "$$ $!" > '{pids}'
            echo "I: Retrieving InRelease "
            wait
            """);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Detail == "index InRelease") cts.Cancel();
        });
        cts.CancelAfter(TimeSpan.FromSeconds(30)); // safety net if the progress line never arrives
        var started = DateTime.UtcNow;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.BuildAsync("hive/base", false, progress, cts.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "cancellation must not wait for debootstrap");
        Assert.Contains(progress.Reports, r => r.Detail == "index InRelease");

        foreach (var pid in File.ReadAllText(pids).Split(' ', StringSplitOptions.TrimEntries).Select(int.Parse))
        {
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (Host.ProcessAlive(pid) && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.False(Host.ProcessAlive(pid), $"process {pid} survived cancellation");
        }
        Assert.Empty(DirectoryRemover.MountsUnder(_dir.Path));
        Assert.Equal([".lock-hive_base"], Entries());
        Assert.True(Directory.Exists("/proc/self"), "the host's /proc must be untouched");
    }

    [Fact]
    public async Task MissingDebootstrap_IsExplained()
    {
        Root.Require();
        var store = new ImageStore(_dir.Path, new ImageBuilderOptions { Debootstrap = "/nonexistent/debootstrap" });
        var ex = await Assert.ThrowsAsync<ImageBuildException>(() => store.BuildAsync("hive/base", false, null, CancellationToken.None));
        Assert.Equal("hive/base needs debootstrap: apt-get install debootstrap", ex.Message);
        Assert.Equal([".lock-hive_base"], Entries());
    }
}
