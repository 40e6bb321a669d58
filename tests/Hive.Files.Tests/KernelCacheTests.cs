using Hive.Core.Config;
using Hive.Files.Backends;
using Hive.Files.Mediation;

namespace Hive.Files.Tests;

/// <summary>
/// What the kernel may cache and for how long: listings (kept until the directory changes or something drops them), and
/// the long timeouts of a mount that is alone on storage only this process writes (<see cref="FuseOptions.ExclusiveStorage"/>),
/// which never hide a change made through this process: another mount of the volume, the files API, an ACL change.
/// </summary>
[Collection("fuse")]
public class KernelCacheTests
{
    private static readonly FuseOptions Exclusive = new() { ExclusiveStorage = true };

    [Fact]
    public void A_listing_is_read_once_and_dropped_when_the_directory_changes_through_the_mount()
    {
        StallingBackend? backend = null;
        using var f = new FuseFixture(backend: root => backend = new StallingBackend(root));
        f.Sh("mkdir d && touch d/a d/b && ls d > /dev/null").AssertOk();
        var before = Volatile.Read(ref backend!.Listings);
        Assert.Equal("a\nb\n", f.Sh("ls d && ls d > /dev/null && ls d > /dev/null").AssertOk().Stdout);
        var read = Volatile.Read(ref backend.Listings) - before;
        Assert.True(read == 0, $"the listing was read {read} more time(s) although the directory did not change");
        Assert.Equal("a\nc\n", f.Sh("rm d/b && touch d/c && ls d").AssertOk().Stdout);
    }

    [Fact]
    public void A_cached_listing_shows_names_made_through_another_mount_or_the_files_API_at_once()
    {
        using var a = new FuseFixture(options: Exclusive);
        var second = Path.Combine(a.Base, "second");
        Directory.CreateDirectory(second);
        a.Sh("mkdir d && touch d/a && ls d > /dev/null && ls > /dev/null").AssertOk();
        using (var b = MountedFileSystem.Mount(second, "/workspace", new LocalBackend(a.Backend), [new AclRule("/workspace/**", AclAccess.Rw)]))
        {
            FuseFixture.Run($"touch '{second}/d/from-b' && rm '{second}/d/a'", FuseFixture.AgentUid).AssertOk();
            SharedVolumes.Flush(TimeSpan.FromSeconds(5));
            Assert.Equal("from-b\n", a.Sh("ls d").AssertOk().Stdout);
        }
        File.WriteAllText(Path.Combine(a.Backend, "d", "from-api"), "x");
        a.Mount.Invalidate("/workspace/d/from-api");
        Assert.Equal("from-api\nfrom-b\n", a.Sh("ls d").AssertOk().Stdout);
    }

    [Fact]
    public void An_exclusive_mount_alone_is_not_asked_again_after_the_short_timeout()
    {
        StallingBackend? backend = null;
        using var f = new FuseFixture(options: Exclusive, backend: root => backend = new StallingBackend(root));
        f.Sh("mkdir -p d/e && echo x > d/e/f && stat d/e/f > /dev/null && test ! -e d/missing").AssertOk();
        Thread.Sleep(1500); // past the short entry and attribute timeouts
        var before = Volatile.Read(ref backend!.Stats);
        f.Sh("stat d/e/f > /dev/null && test ! -e d/missing").AssertOk();
        Assert.Equal(0, Volatile.Read(ref backend.Stats) - before);
    }

    [Fact]
    public void An_exclusive_mount_sees_another_mounts_writes_once_it_shares_the_volume()
    {
        using var a = new FuseFixture(options: Exclusive);
        a.Sh("echo one > s && stat s > /dev/null && cat s > /dev/null").AssertOk();
        var second = Path.Combine(a.Base, "second");
        Directory.CreateDirectory(second);
        // The second mount: the first drops what it cached under the long timeouts and both use the short ones.
        using var b = MountedFileSystem.Mount(second, "/workspace", new LocalBackend(a.Backend), [new AclRule("/workspace/**", AclAccess.Rw)],
            options: FuseTransport.Apply(Exclusive));
        SharedVolumes.Flush(TimeSpan.FromSeconds(5));
        FuseFixture.Run($"echo more >> '{second}/s'", FuseFixture.AgentUid).AssertOk();
        Thread.Sleep(1200); // past the attribute timeout
        Assert.Equal("9\n", a.Sh("stat -c %s s").AssertOk().Stdout);
        Assert.Equal("one\nmore\n", a.Sh("cat s").AssertOk().Stdout);
        // And the other way round.
        a.Sh("echo last >> s").AssertOk();
        Thread.Sleep(1200);
        Assert.Equal("14\n", FuseFixture.Run($"stat -c %s '{second}/s'", FuseFixture.AgentUid).AssertOk().Stdout);
    }

    [Fact]
    public void An_exclusive_mount_still_takes_acl_changes_and_the_files_API_at_once()
    {
        using var f = new FuseFixture(options: Exclusive);
        f.Sh("mkdir notes && echo draft > notes/a && ls notes > /dev/null && cat notes/a > /dev/null && ls > /dev/null").AssertOk();
        f.Mount.UpdateAcls([new AclRule("/workspace/notes/**", AclAccess.Deny), new AclRule("/workspace/**", AclAccess.Rw)]);
        f.Sh("cat notes/a").AssertFails();
        Assert.Equal("", f.Sh("ls").AssertOk().Stdout);
        f.Mount.UpdateAcls([new AclRule("/workspace/**", AclAccess.Rw)]);
        Assert.Equal("notes\n", f.Sh("ls").AssertOk().Stdout);
        File.WriteAllText(Path.Combine(f.Backend, "notes", "a"), "changed by the owner\n");
        f.Mount.Invalidate("/workspace/notes/a");
        Assert.Equal("changed by the owner\n", f.Sh("cat notes/a").AssertOk().Stdout);
        Assert.Equal("21\n", f.Sh("stat -c %s notes/a").AssertOk().Stdout);
    }
}
