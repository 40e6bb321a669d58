using System.Diagnostics;
using Hive.Core.Config;
using Hive.Files.Backends;

namespace Hive.Files.Tests;

[Collection("fuse")]
public class MountLifecycleTests
{
    private static readonly AclRule[] AllRw = [new("/workspace/**", AclAccess.Rw)];

    private static bool Mounted(string path) => File.ReadAllText("/proc/self/mountinfo").Contains(" " + path + " ", StringComparison.Ordinal);

    [Fact]
    public void Dispose_unmounts_and_shows_in_mountinfo_as_fuse_hive()
    {
        string mountPoint;
        using (var f = new FuseFixture())
        {
            mountPoint = f.MountPoint;
            Assert.True(FuseMount.IsMounted(mountPoint, "fuse.hive"));
            var line = File.ReadLines("/proc/self/mountinfo").Single(l => l.Contains(" " + mountPoint + " ", StringComparison.Ordinal));
            Assert.Contains("- fuse.hive hive ", line);
            Assert.Contains("allow_other", line);
            Assert.Contains("default_permissions", line);
            Assert.Contains("nosuid", line);
            Assert.Contains("nodev", line);
        }
        Assert.False(Mounted(mountPoint));
    }

    [Fact]
    public void Dispose_returns_while_the_mount_is_busy_and_the_connection_ends()
    {
        var f = new FuseFixture();
        Process? sleeper = null;
        try
        {
            f.Sh("echo x > f").AssertOk();
            // A process that keeps the mount busy: its cwd and an open file are inside.
            sleeper = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"cd '{f.MountPoint}' && exec 3< f && exec sleep 60"]))!;
            Thread.Sleep(300);
            var watch = Stopwatch.StartNew();
            f.Dispose();
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"dispose took {watch.Elapsed}");
            Assert.False(Mounted(f.MountPoint));
        }
        finally
        {
            sleeper?.Kill();
            sleeper?.WaitForExit();
            f.Dispose();
        }
    }

    [Fact]
    public void A_restarted_server_replaces_a_stale_mount_at_the_same_place()
    {
        using var f = new FuseFixture();
        f.Sh("echo before > kept").AssertOk();
        // A second server at the same mount point, as a daemon restarted after a crash would do: the old mount goes.
        using (var second = MountedFileSystem.Mount(f.MountPoint, FuseFixture.SandboxMount, new LocalBackend(f.Backend), AllRw))
        {
            Assert.Equal(1, File.ReadLines("/proc/self/mountinfo").Count(l => l.Contains(" " + f.MountPoint + " ", StringComparison.Ordinal)));
            Assert.Equal("before\n", f.Sh("cat kept").AssertOk().Stdout);
            f.Sh("echo after >> kept").AssertOk();
        }
        Assert.False(Mounted(f.MountPoint));
        Assert.Equal("before\nafter\n", File.ReadAllText(Path.Combine(f.Backend, "kept")));
    }

    [Fact]
    public void Disposing_a_replaced_server_leaves_the_new_mount_alone()
    {
        using var f = new FuseFixture();
        var second = MountedFileSystem.Mount(f.MountPoint, FuseFixture.SandboxMount, new LocalBackend(f.Backend), AllRw);
        try
        {
            f.Mount.Dispose();
            Assert.True(FuseMount.IsMounted(f.MountPoint, "fuse.hive"));
            f.Sh("echo still > served && cat served").AssertOk();
        }
        finally
        {
            second.Dispose();
        }
        Assert.False(Mounted(f.MountPoint));
    }

    [Fact]
    public void RemoveStale_leaves_other_mounts_alone()
    {
        var dir = Directory.CreateTempSubdirectory("hive-fuse-bind-").FullName;
        try
        {
            FuseFixture.Run($"mount --bind '{dir}' '{dir}'", uid: 0).AssertOk();
            Assert.Equal(0, FuseMount.RemoveStale(dir));
            Assert.True(FuseMount.IsMounted(dir, "ext4") || File.ReadAllText("/proc/self/mountinfo").Contains(" " + dir + " ", StringComparison.Ordinal));
        }
        finally
        {
            while (FuseMount.Unmount(dir)) { }
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Passthrough_is_negotiated_where_the_kernel_has_it()
    {
        using var f = new FuseFixture();
        var kernel = Environment.OSVersion.Version;
        if (kernel >= new Version(6, 9)) Assert.True(f.Mount.Passthrough, string.Join("\n", f.Log));
        Assert.Contains(f.Log, l => l.StartsWith("fuse: INIT 7.", StringComparison.Ordinal));
    }

    [Fact]
    public void Mounting_on_a_missing_directory_fails_clearly()
    {
        Assert.Throws<DirectoryNotFoundException>(() =>
            MountedFileSystem.Mount("/nonexistent/hive-fuse", "/workspace", new LocalBackend("/tmp"), AllRw));
    }
}
