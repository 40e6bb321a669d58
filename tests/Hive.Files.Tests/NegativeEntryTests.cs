using Hive.Core.Config;
using Hive.Files.Backends;
using Hive.Files.Mediation;

namespace Hive.Files.Tests;

/// <summary>
/// Names that do not exist are answered as negative entries the kernel caches: probed once, not once per probe; and
/// a cached absence never hides a name made later, through the same mount, another mount of the volume (another
/// sandbox) or the files API. Names the ACL hides are never cached as absent.
/// </summary>
[Collection("fuse")]
public class NegativeEntryTests
{
    [Fact]
    public void A_missing_name_probed_twenty_times_reaches_the_backend_about_once()
    {
        StallingBackend? backend = null;
        using var f = new FuseFixture(backend: root => backend = new StallingBackend(root));
        f.Sh("true").AssertOk();
        var before = Volatile.Read(ref backend!.Stats);
        f.Sh("for i in $(seq 20); do test -e missing.h && exit 1; done; exit 0").AssertOk();
        var asked = Volatile.Read(ref backend.Stats) - before;
        Assert.True(asked <= 3, $"the backend was asked {asked} times for a name the kernel should have cached as absent");
    }

    [Fact]
    public void A_name_made_after_it_was_probed_shows_at_once_through_the_same_mount()
    {
        using var f = new FuseFixture();
        Assert.Equal("made\nsub\n", f.Sh("test ! -e x && test ! -e d && echo made > x && cat x && mkdir d && echo sub > d/f && cat d/f").AssertOk().Stdout);
        f.Sh("mv x y && test ! -e x && cat y").AssertOk();
    }

    [Fact]
    public void Another_mount_of_the_volume_drops_its_cached_absence_when_a_name_is_made_renamed_or_linked()
    {
        using var a = new FuseFixture();
        var second = Path.Combine(a.Base, "second");
        Directory.CreateDirectory(second);
        using var b = MountedFileSystem.Mount(second, "/data", new LocalBackend(a.Backend),
            [new AclRule("/data/private/**", AclAccess.Deny), new AclRule("/data/**", AclAccess.Ro)]);
        var inB = (string script) => FuseFixture.Run($"cd '{second}' && {script}", FuseFixture.AgentUid);
        // B caches all of these as absent...
        inB("test ! -e new && test ! -e dir && test ! -e moved && test ! -e hard && test ! -e private").AssertOk();
        // ...then the other sandbox makes them.
        a.Sh("echo made > new && mkdir -p dir/deeper && echo in > dir/deeper/f && echo m > m && mv m moved && ln new hard && mkdir private && echo s > private/s").AssertOk();
        SharedVolumes.Flush(TimeSpan.FromSeconds(5));
        Assert.Equal("made\nin\nm\nmade\n", inB("cat new dir/deeper/f moved hard").AssertOk().Stdout);
        // B's own rules still hold over what A made: the denied stays hidden, the read-only stays unwritable.
        inB("cat private/s").AssertFails();
        inB("ls private").AssertFails();
        inB("echo x >> new").AssertFails();
        inB("touch fresh").AssertFails();
        // And a removal through A is not left cached as present in B.
        inB("cat moved").AssertOk();
        a.Sh("rm moved").AssertOk();
        SharedVolumes.Flush(TimeSpan.FromSeconds(5));
        inB("test ! -e moved").AssertOk();
        b.Dispose();
    }

    [Fact]
    public void A_file_the_files_API_writes_under_missing_directories_shows_at_once()
    {
        using var f = new FuseFixture();
        f.Sh("test ! -e api && test ! -e top").AssertOk();
        // The owner's files API writes on the storage itself, then invalidates the path (as the daemon does).
        Directory.CreateDirectory(Path.Combine(f.Backend, "api", "deep"));
        File.WriteAllText(Path.Combine(f.Backend, "api", "deep", "file"), "from the api\n");
        File.WriteAllText(Path.Combine(f.Backend, "top"), "top\n");
        f.Mount.Invalidate("/workspace/api/deep/file");
        f.Mount.Invalidate("/workspace/top");
        Assert.Equal("from the api\ntop\n", f.Sh("cat api/deep/file top").AssertOk().Stdout);
    }

    [Fact]
    public void A_name_the_acl_hides_is_not_cached_as_absent_so_allowing_it_shows_it_at_once()
    {
        using var f = new FuseFixture([new AclRule("/workspace/secret", AclAccess.Deny), new AclRule("/workspace/**", AclAccess.Rw)],
            backendSetup: dir => File.WriteAllText(Path.Combine(dir, "secret"), "s\n"));
        f.Sh("cat secret").AssertFails();
        f.Sh("test ! -e secret").AssertOk();
        f.Mount.UpdateAcls([new AclRule("/workspace/**", AclAccess.Rw)]);
        Assert.Equal("s\n", f.Sh("cat secret").AssertOk().Stdout);
        // And the other way: a name cached as present is dropped when a rule comes to deny it.
        f.Mount.UpdateAcls([new AclRule("/workspace/secret", AclAccess.Deny), new AclRule("/workspace/**", AclAccess.Rw)]);
        f.Sh("cat secret").AssertFails();
    }
}
