using System.Diagnostics;
using Hive.Core.Config;
using Hive.Files.Backends;

namespace Hive.Files.Tests;

/// <summary>
/// Several mounts over one volume, a server that dies under a mounted file system, and the propagation recipe the
/// daemon uses so that a remount reaches a running container's mount namespace.
/// </summary>
[Collection("fuse")]
public class SharedVolumeAndRecoveryTests
{
    private static readonly AclRule[] AllRw = [new("/workspace/**", AclAccess.Rw)];

    [Fact]
    public void Two_mounts_of_one_volume_see_each_others_writes_each_with_its_own_acl()
    {
        using var a = new FuseFixture();
        var second = Path.Combine(a.Base, "second");
        Directory.CreateDirectory(second);
        using var b = MountedFileSystem.Mount(second, "/data", new LocalBackend(a.Backend),
            [new AclRule("/data/private/**", AclAccess.Deny), new AclRule("/data/**", AclAccess.Ro)]);
        try
        {
            a.Sh("mkdir private && echo mine > private/p && echo shared > s").AssertOk();
            Assert.Equal("shared\n", FuseFixture.Run($"cat '{second}/s'", FuseFixture.AgentUid).AssertOk().Stdout);
            FuseFixture.Run($"cat '{second}/private/p'", FuseFixture.AgentUid).AssertFails();
            FuseFixture.Run($"echo x >> '{second}/s'", FuseFixture.AgentUid).AssertFails();
            a.Sh("echo more >> s").AssertOk();
            Thread.Sleep(1200); // past the attribute timeout of the other mount
            Assert.Equal("shared\nmore\n", FuseFixture.Run($"cat '{second}/s'", FuseFixture.AgentUid).AssertOk().Stdout);
        }
        finally
        {
            b.Dispose();
        }
    }

    [Fact]
    public void After_the_server_dies_a_new_one_takes_over_the_same_mount_point()
    {
        using var f = new FuseFixture();
        f.Sh("echo kept > kept").AssertOk();
        // The server's death, as the kernel sees it: the connection is aborted, the mount stays (ENOTCONN).
        Assert.True(FuseMount.Abort(FuseMount.KernelDevice(f.MountPoint)));
        f.Sh("cat kept").AssertFails();
        using var restarted = MountedFileSystem.Mount(f.MountPoint, FuseFixture.SandboxMount, new LocalBackend(f.Backend), AllRw);
        Assert.Equal("kept\n", f.Sh("cat kept").AssertOk().Stdout);
        f.Sh("echo again >> kept").AssertOk();
    }

    [Fact]
    public void A_remount_propagates_into_a_mount_namespace_that_binds_the_anchor_as_slave()
    {
        using var f = new FuseFixture();
        // The daemon's recipe: the host mount point is an anchor (a shared bind mount of itself)...
        var anchor = Path.Combine(f.Base, "anchor");
        var inside = Path.Combine(f.Base, "container-view");
        var flags = Directory.CreateDirectory(Path.Combine(f.Base, "flags")).FullName;
        Directory.CreateDirectory(anchor);
        Directory.CreateDirectory(inside);
        FuseFixture.Run($"mount --bind '{anchor}' '{anchor}' && mount --make-shared '{anchor}'", uid: 0).AssertOk();
        Process? container = null;
        MountedFileSystem? first = null, second = null;
        try
        {
            // ...bound (rbind, rslave) into the container's own mount namespace before the file system is mounted.
            container = Process.Start(new ProcessStartInfo("/usr/bin/unshare",
            [
                "--mount", "--propagation", "unchanged", "/bin/sh", "-c",
                $"mount --make-rslave / && mount --rbind '{anchor}' '{inside}' && mount --make-rslave '{inside}' && touch '{flags}/ready' && " +
                $"while [ ! -e '{flags}/go1' ]; do sleep 0.05; done; cat '{inside}/file' > '{flags}/read1' 2>&1; touch '{flags}/done1'; " +
                $"while [ ! -e '{flags}/go2' ]; do sleep 0.05; done; cat '{inside}/file' > '{flags}/read2' 2>&1; touch '{flags}/done2'",
            ]) { UseShellExecute = false })!;
            WaitFor(Path.Combine(flags, "ready"), container);

            File.WriteAllText(Path.Combine(f.Backend, "file"), "served\n");
            first = MountedFileSystem.Mount(anchor, "/workspace", new LocalBackend(f.Backend), AllRw);
            File.WriteAllText(Path.Combine(flags, "go1"), "");
            WaitFor(Path.Combine(flags, "done1"), container);
            Assert.Equal("served\n", File.ReadAllText(Path.Combine(flags, "read1")));

            // The daemon dies (its connection ends) and a new one mounts at the anchor again.
            FuseMount.Abort(FuseMount.KernelDevice(anchor));
            File.WriteAllText(Path.Combine(f.Backend, "file"), "served again\n");
            second = MountedFileSystem.Mount(anchor, "/workspace", new LocalBackend(f.Backend), AllRw);
            File.WriteAllText(Path.Combine(flags, "go2"), "");
            WaitFor(Path.Combine(flags, "done2"), container);
            Assert.Equal("served again\n", File.ReadAllText(Path.Combine(flags, "read2")));
            Assert.True(container.WaitForExit(10_000));
        }
        finally
        {
            if (container is { HasExited: false }) container.Kill();
            container?.WaitForExit();
            second?.Dispose();
            first?.Dispose();
            while (FuseMount.Unmount(anchor)) { }
        }
    }

    private static void WaitFor(string file, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(file))
        {
            if (process.HasExited && !File.Exists(file)) Assert.Fail($"the namespace process exited ({process.ExitCode}) before {Path.GetFileName(file)}");
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + Path.GetFileName(file));
            Thread.Sleep(20);
        }
    }
}
