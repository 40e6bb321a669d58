using Hive.Runtime.Images;

namespace Hive.Runtime.Tests;

public sealed class ImageNamesTests
{
    [Theory]
    [InlineData("hive/minimal", "hive/minimal")]
    [InlineData("hive/minimal:latest", "hive/minimal")]
    [InlineData("acme/tools-2.1", "acme/tools-2.1")]
    [InlineData("my_app", "my_app")]
    [InlineData("a/b/c", "a/b/c")]
    public void Normalize_Accepts(string name, string expected) => Assert.Equal(expected, ImageNames.Normalize(name));

    [Theory]
    [InlineData("")]
    [InlineData(":latest")]
    [InlineData("Hive/minimal")]
    [InlineData("hive/minimal:v1")]
    [InlineData("hive//minimal")]
    [InlineData("/hive")]
    [InlineData("hive/")]
    [InlineData("..")]
    [InlineData("../etc")]
    [InlineData(".hidden")]
    [InlineData("a b")]
    [InlineData("hive/base.partial-1234")]
    [InlineData("localhost:5000/x")]
    public void Normalize_Rejects(string name) => Assert.Throws<ArgumentException>(() => ImageNames.Normalize(name));

    [Fact]
    public void DirectoryName_ReplacesSlashes() => Assert.Equal("hive_minimal", ImageNames.ToDirectoryName("hive/minimal"));
}

public sealed class AptSourcesTests
{
    private const string Deb822 = """
        Types: deb
        # http://snapshot.debian.org/archive/debian/20250520T000000Z
        URIs: http://deb.debian.org/debian
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb
        URIs: http://deb.debian.org/debian-security
        Suites: bookworm-security
        Components: main
        """;

    [Fact]
    public void Deb822_FindsTheSuitesMirror() =>
        Assert.Equal("http://deb.debian.org/debian", AptSources.FindMirror([("debian.sources", Deb822)], "bookworm"));

    [Fact]
    public void Deb822_SkipsDisabledAndSourceOnlyStanzas()
    {
        const string text = """
            Types: deb
            URIs: http://disabled.example/debian
            Suites: bookworm
            Enabled: no

            Types: deb-src
            URIs: http://src.example/debian
            Suites: bookworm

            Types: deb
            URIs: cdrom:/media/
              https://mirror.example/debian/
            Suites: bookworm
            """;
        Assert.Equal("https://mirror.example/debian", AptSources.FindMirror([("x.sources", text)], "bookworm"));
    }

    [Fact]
    public void OneLine_HandlesOptionsAndComments()
    {
        const string text = """
            # deb http://commented.example/debian bookworm main
            deb-src http://src.example/debian bookworm main
            deb http://security.debian.org/debian-security bookworm-security main
            deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://ftp.de.debian.org/debian/ bookworm main contrib
            """;
        Assert.Equal("http://ftp.de.debian.org/debian", AptSources.FindMirror([("sources.list", text)], "bookworm"));
    }

    [Fact]
    public void OtherDistributions_GiveNull() =>
        Assert.Null(AptSources.FindMirror([("sources.list", "deb http://archive.ubuntu.com/ubuntu jammy main\n")], "bookworm"));

    [Fact]
    public void HostMirror_FallsBackToDebDebianOrg() =>
        Assert.Equal(AptSources.DefaultMirror, AptSources.FindHostMirror("no-such-suite"));
}

public sealed class UnixAccountsTests
{
    private const string Passwd = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

    [Fact]
    public void AddPasswdEntry_AppendsOnce()
    {
        var once = UnixAccounts.AddPasswdEntry(Passwd, "agent", 1000, 1000, "/home/agent", "/bin/bash");
        Assert.EndsWith("\nagent:x:1000:1000:agent:/home/agent:/bin/bash\n", once);
        Assert.Equal(once, UnixAccounts.AddPasswdEntry(once, "agent", 1000, 1000, "/home/agent", "/bin/bash"));
        Assert.Equal("a:x:0:0::/:/bin/sh\nagent:x:1000:1000:agent:/h:/s\n",
            UnixAccounts.AddPasswdEntry("a:x:0:0::/:/bin/sh", "agent", 1000, 1000, "/h", "/s"));
    }

    [Fact]
    public void AddPasswdEntry_RefusesATakenUidOrName()
    {
        Assert.Throws<InvalidOperationException>(() =>
            UnixAccounts.AddPasswdEntry(Passwd + "debian:x:1000:1000::/home/debian:/bin/sh\n", "agent", 1000, 1000, "/home/agent", "/bin/sh"));
        Assert.Throws<InvalidOperationException>(() =>
            UnixAccounts.AddPasswdEntry(Passwd + "agent:x:1001:1001::/home/agent:/bin/sh\n", "agent", 1000, 1000, "/home/agent", "/bin/sh"));
    }

    [Fact]
    public void GroupAndShadow()
    {
        Assert.Equal("root:x:0:\nagent:x:1000:\n", UnixAccounts.AddGroupEntry("root:x:0:\n", "agent", 1000));
        Assert.Throws<InvalidOperationException>(() => UnixAccounts.AddGroupEntry("users:x:1000:\n", "agent", 1000));
        var line = UnixAccounts.ShadowLine("agent", new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal("agent:!:19724:0:99999:7:::", line);
        var shadow = UnixAccounts.AddShadowLikeEntry("root:*:19000:0:99999:7:::\n", line);
        Assert.Equal(shadow, UnixAccounts.AddShadowLikeEntry(shadow, line));
    }
}

public sealed class DirectoryRemoverTests
{
    [Fact]
    public void MountPoints_AreUnescaped()
    {
        Assert.Equal("/tmp/a b\\c", DirectoryRemover.ParseMountPoint(
            "36 35 98:0 / /tmp/a\\040b\\134c rw,noatime master:1 - ext3 /dev/root rw,errors=continue"));
        Assert.Equal("/proc", DirectoryRemover.ParseMountPoint("22 28 0:21 / /proc rw,nosuid - proc proc rw"));
        Assert.Null(DirectoryRemover.ParseMountPoint("garbage"));
    }

    [Fact]
    public void Delete_RemovesATreeWithSymlinksWithoutFollowingThem()
    {
        var outside = Directory.CreateTempSubdirectory("hive-outside-");
        var inside = Directory.CreateTempSubdirectory("hive-inside-");
        File.WriteAllText(Path.Combine(outside.FullName, "keep"), "x");
        Directory.CreateSymbolicLink(Path.Combine(inside.FullName, "link"), outside.FullName);
        Directory.CreateDirectory(Path.Combine(inside.FullName, "a/b"));
        DirectoryRemover.Delete(inside.FullName);
        Assert.False(inside.Exists && Directory.Exists(inside.FullName));
        Assert.True(File.Exists(Path.Combine(outside.FullName, "keep")));
        outside.Delete(recursive: true);
    }
}

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DirectoryRemoverMountTests
{
    [Fact]
    public void Delete_UnmountsBelowAPathReachedThroughASymlink()
    {
        Root.Require();
        using var real = new TempDir("hive-real");
        var link = real.Path + "-link";
        Directory.CreateSymbolicLink(link, real.Path);
        try
        {
            var target = Path.Combine(link, "partial", "rootfs", "proc");
            Directory.CreateDirectory(target);
            Host.Run("mount", "-t", "tmpfs", "tmpfs", target);
            File.WriteAllText(Path.Combine(target, "inside-the-mount"), "x");
            Assert.Single(DirectoryRemover.MountsUnder(Path.Combine(real.Path, "partial")));

            DirectoryRemover.Delete(Path.Combine(link, "partial"));
            Assert.False(Directory.Exists(Path.Combine(real.Path, "partial")));
            Assert.Empty(DirectoryRemover.MountsUnder(real.Path));
        }
        finally
        {
            File.Delete(link);
        }
    }
}

public sealed class ImageBuildLockTests
{
    [Fact]
    public async Task SecondHolder_WaitsUntilTheFirstReleases()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hive-lock-{Guid.NewGuid():N}");
        try
        {
            var first = await ImageBuildLock.AcquireAsync(path, null, CancellationToken.None);
            var waited = false;
            var second = ImageBuildLock.AcquireAsync(path, () => waited = true, CancellationToken.None);
            await Task.Delay(300);
            Assert.False(second.IsCompleted);
            Assert.True(waited);
            first.Dispose();
            using var held = await second.WaitAsync(TimeSpan.FromSeconds(5));

            using var cts = new CancellationTokenSource(200);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ImageBuildLock.AcquireAsync(path, null, cts.Token));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
