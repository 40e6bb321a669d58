using Hive.Core.Config;
using Hive.Files.Audit;
using Hive.Files.Native;

namespace Hive.Files.Tests;

/// <summary>
/// The ACL battery: every attempt to reach a denied file or to change a read-only one is refused, whatever route
/// the agent (uid 1000) takes. Runs with passthrough on and off.
/// </summary>
[Collection("fuse")]
public class AclTests
{
    public static readonly AclRule[] Rules =
    [
        new("/workspace/secret/**", AclAccess.Deny),
        new("/workspace/**/*.key", AclAccess.Deny),
        new("/workspace/docs/**", AclAccess.Ro),
        new("/workspace/hidden/*", AclAccess.Deny),
        new("/workspace/**", AclAccess.Rw),
    ];

    public static TheoryData<bool> Modes => [true, false];

    internal static FuseFixture Fixture(bool passthrough = true, IReadOnlyList<AclRule>? rules = null) =>
        new(rules ?? Rules, new FuseOptions { Passthrough = passthrough }, Populate);

    internal static void Populate(string backend)
    {
        Directory.CreateDirectory(Path.Combine(backend, "secret/deeper"));
        File.WriteAllText(Path.Combine(backend, "secret/data.txt"), "TOPSECRET");
        File.WriteAllText(Path.Combine(backend, "secret/deeper/more.txt"), "TOPSECRET2");
        Directory.CreateDirectory(Path.Combine(backend, "docs"));
        File.WriteAllText(Path.Combine(backend, "docs/readme.md"), "DOCS");
        Directory.CreateDirectory(Path.Combine(backend, "pub"));
        File.WriteAllText(Path.Combine(backend, "pub/open.txt"), "OPEN");
        File.WriteAllText(Path.Combine(backend, "id.key"), "KEYMATERIAL");
        Directory.CreateDirectory(Path.Combine(backend, "hidden/sub"));
        File.WriteAllText(Path.Combine(backend, "hidden/inner.txt"), "INNER");
        File.WriteAllText(Path.Combine(backend, "hidden/sub/ok.txt"), "REACHABLE");
        FuseFixture.Run($"chown -R {FuseFixture.AgentUid}:{FuseFixture.AgentUid} '{backend}' && chmod -R u+rwX,go+rX '{backend}'", uid: 0).AssertOk();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Denied_files_cannot_be_read_by_any_route(bool passthrough)
    {
        using var f = Fixture(passthrough);
        // by path
        f.Sh("cat secret/data.txt").AssertFails();
        f.Sh("cat secret/deeper/more.txt").AssertFails();
        f.Sh("cat id.key").AssertFails();
        f.Sh("cat pub/../id.key").AssertFails();
        f.Sh("stat secret").AssertFails();
        f.Sh("ls secret").AssertFails();
        f.Sh("test -e secret || test -e id.key").AssertFails();
        f.Sh("cat hidden/inner.txt").AssertFails();
        // by ..
        f.Sh("cat pub/../secret/data.txt").AssertFails();
        f.Sh("cd pub && cat ../secret/data.txt").AssertFails();
        f.Sh("cat hidden/sub/../inner.txt").AssertFails();
        // by symlink, relative and absolute (the symlink itself may be made: pub is rw)
        f.Sh($"ln -s ../secret/data.txt pub/rel && ln -s '{f.MountPoint}/secret/data.txt' pub/abs && ln -s ../hidden/inner.txt pub/inner").AssertOk();
        f.Sh("cat pub/rel").AssertFails();
        f.Sh("cat pub/abs").AssertFails();
        f.Sh("cat pub/inner").AssertFails();
        f.Sh("ln -s ../secret pub/dirlink && ls pub/dirlink/").AssertFails();
        // by hard link made elsewhere (link needs the source, which does not exist for the sandbox)
        f.Sh("ln secret/data.txt pub/hard").AssertFails();
        f.Sh("ln hidden/inner.txt pub/hard2").AssertFails();
        f.Sh("ln id.key pub/hard3").AssertFails();
        // by rename of its parent: the denied directory is invisible; a visible one with denied children does not move
        f.Sh("mv secret pub/s").AssertFails();
        f.Python("""
try:
    os.rename('hidden', 'pub/moved'); sys.exit('rename of a directory holding denied entries succeeded')
except OSError as e:
    assert e.errno == errno.EXDEV, e
""").AssertOk();
        Assert.Equal("REACHABLE", f.Sh("cat hidden/sub/ok.txt").AssertOk().Stdout);
        // mv falls back to copying what it can see (and removing what it copied): the hidden file stays put
        f.Sh("mv hidden pub/moved2; true").AssertOk();
        f.Sh("! grep -r INNER pub").AssertOk();
        Assert.Equal("REACHABLE", f.Sh("cat pub/moved2/sub/ok.txt").AssertOk().Stdout);
        Assert.Equal("INNER", File.ReadAllText(Path.Combine(f.Backend, "hidden/inner.txt")));
        // through /proc/self/fd and by openat on a directory fd
        f.Python("""
def refused(fn):
    try:
        fn(); sys.exit('allowed: ' + repr(fn))
    except OSError as e:
        assert e.errno == errno.ENOENT, e
d = os.open('hidden', os.O_RDONLY | os.O_DIRECTORY)
refused(lambda: os.open('inner.txt', os.O_RDONLY, dir_fd=d))
refused(lambda: os.stat('inner.txt', dir_fd=d, follow_symlinks=False))
refused(lambda: open(f'/proc/self/fd/{d}/inner.txt').read())
root = os.open('.', os.O_RDONLY | os.O_DIRECTORY)
refused(lambda: os.open('secret/data.txt', os.O_RDONLY, dir_fd=root))
refused(lambda: os.open('secret', os.O_RDONLY | os.O_PATH, dir_fd=root))
refused(lambda: open(f'/proc/self/fd/{root}/secret/data.txt').read())
refused(lambda: open(f'/proc/self/fd/{root}/pub/../id.key').read())
p = os.open('pub', os.O_RDONLY | os.O_DIRECTORY)
refused(lambda: os.open('../secret/data.txt', os.O_RDONLY, dir_fd=p))
refused(lambda: os.listdir(f'/proc/self/fd/{root}/secret'))
""").AssertOk();
        // nothing secret ever came out
        var all = f.Sh("grep -r . . 2>/dev/null; true").Stdout;
        Assert.DoesNotContain("TOPSECRET", all);
        Assert.DoesNotContain("KEYMATERIAL", all);
        Assert.DoesNotContain("INNER", all);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Denied_paths_cannot_be_created(bool passthrough)
    {
        using var f = Fixture(passthrough);
        f.Sh("touch secret/new").AssertFails();
        f.Sh("echo x > new.key").AssertFails();
        f.Sh("echo x > pub/another.key").AssertFails();
        f.Sh("mkdir secret2.key").AssertFails();
        f.Sh("touch hidden/new").AssertFails();
        f.Sh("echo x > pub/t && mv pub/t pub/t.key").AssertFails();
        f.Sh("echo x > pub/u && ln pub/u pub/u.key").AssertFails();
        f.Sh("ln -s pub/u v.key").AssertFails();
        Assert.False(File.Exists(Path.Combine(f.Backend, "new.key")));
        Assert.False(File.Exists(Path.Combine(f.Backend, "secret/new")));
        Assert.False(File.Exists(Path.Combine(f.Backend, "pub/t.key")));
        // the refusal does not tell whether the hidden entry exists
        f.Python("""
for path in ['id.key', 'nope.key', 'secret/data.txt', 'secret/nope']:
    try:
        os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644); sys.exit('created ' + path)
    except OSError as e:
        assert e.errno in (errno.EACCES, errno.ENOENT), (path, e)
""").AssertOk();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Read_only_files_cannot_be_changed_by_any_route(bool passthrough)
    {
        using var f = Fixture(passthrough);
        Assert.Equal("DOCS", f.Sh("cat docs/readme.md").AssertOk().Stdout);
        f.Sh(": > docs/readme.md").AssertFails();
        f.Sh("echo more >> docs/readme.md").AssertFails();
        f.Sh("truncate -s 0 docs/readme.md").AssertFails();
        f.Sh("chmod 777 docs/readme.md").AssertFails();
        f.Sh("touch docs/readme.md").AssertFails();
        f.Sh("rm -f docs/readme.md").AssertFails();
        f.Sh("echo new > pub/replacement && mv pub/replacement docs/readme.md").AssertFails();
        f.Sh("mv docs/readme.md pub/stolen").AssertFails();
        f.Sh("ln docs/readme.md pub/hardlink").AssertFails();
        f.Sh("touch docs/new && mkdir docs/dir").AssertFails();
        f.Sh("mkdir docs/dir").AssertFails();
        f.Sh("ln -s x docs/link").AssertFails();
        f.Sh("mv docs pub/docs2").AssertFails();
        f.Sh("rmdir docs").AssertFails();
        f.Python("""
def erofs(fn):
    try:
        fn(); sys.exit('allowed: ' + repr(fn))
    except OSError as e:
        assert e.errno in (errno.EROFS, errno.EACCES, errno.EPERM), e
erofs(lambda: os.open('docs/readme.md', os.O_WRONLY))
erofs(lambda: os.open('docs/readme.md', os.O_RDWR))
erofs(lambda: os.open('docs/readme.md', os.O_RDONLY | os.O_TRUNC))
erofs(lambda: os.truncate('docs/readme.md', 0))
erofs(lambda: os.chmod('docs/readme.md', 0o600))
erofs(lambda: os.utime('docs/readme.md', (1, 1)))
erofs(lambda: os.setxattr('docs/readme.md', 'user.x', b'1'))
erofs(lambda: os.removexattr('docs/readme.md', 'user.x'))
erofs(lambda: os.unlink('docs/readme.md'))
erofs(lambda: os.rename('docs/readme.md', 'docs/other.md'))
erofs(lambda: os.link('docs/readme.md', 'pub/l'))
erofs(lambda: open('docs/readme.md', 'r+b'))
# mmap for writing needs a writable descriptor, which cannot be had
fd = os.open('docs/readme.md', os.O_RDONLY)
erofs(lambda: mmap.mmap(fd, 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE))
m = mmap.mmap(fd, 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
assert m[:4] == b'DOCS'
# a private (copy-on-write) mapping may be written, but never reaches the file
p = mmap.mmap(fd, 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
p[0:4] = b'EVIL'
p.flush() if False else None
os.close(fd)
""").AssertOk();
        Assert.Equal("DOCS", File.ReadAllText(Path.Combine(f.Backend, "docs/readme.md")));
        Assert.Equal("DOCS", f.Sh("cat docs/readme.md").AssertOk().Stdout);
        Assert.False(File.Exists(Path.Combine(f.Backend, "pub/stolen")));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Listings_leave_denied_entries_out(bool passthrough)
    {
        using var f = Fixture(passthrough);
        var root = f.Sh("ls -a").AssertOk().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([".", "..", "docs", "hidden", "pub"], root.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("sub\n", f.Sh("ls hidden").AssertOk().Stdout);
        var found = f.Sh("find . | sort").AssertOk().Stdout;
        Assert.Equal("""
            .
            ./docs
            ./docs/readme.md
            ./hidden
            ./hidden/sub
            ./hidden/sub/ok.txt
            ./pub
            ./pub/open.txt

            """.Replace("\r", ""), found);
        // python's scandir uses plain readdir; stat of each listed entry works
        f.Python("""
names = sorted(e.name for e in os.scandir('.'))
assert names == ['docs', 'hidden', 'pub'], names
for e in os.scandir('.'):
    e.stat(follow_symlinks=False)
""").AssertOk();
        // a directory that holds only hidden entries cannot be removed (they are still there)
        f.Sh("rmdir secret").AssertFails();
        Assert.True(Directory.Exists(Path.Combine(f.Backend, "secret")));
    }

    [Fact]
    public void A_directory_holding_only_hidden_entries_betrays_neither_their_number_nor_their_presence()
    {
        using var f = new FuseFixture([new AclRule("/workspace/box/hid*/**", AclAccess.Deny), new AclRule("/workspace/**", AclAccess.Rw)],
            backendSetup: backend =>
            {
                foreach (var d in new[] { "box/hid1", "box/hid2/x", "plain/a", "plain/b", "full", "empty" }) Directory.CreateDirectory(Path.Combine(backend, d));
                File.WriteAllText(Path.Combine(backend, "full/f"), "F");
                FuseFixture.Run($"chown -R {FuseFixture.AgentUid}:{FuseFixture.AgentUid} '{backend}'", uid: 0).AssertOk();
            });
        f.Python("""
st = os.stat('box')
assert (st.st_nlink, st.st_size) == (1, 0), st   # not 4 (two hidden subdirectories), not the size of their names
assert os.listdir('box') == []
for what, op in (('rmdir', lambda: os.rmdir('box')), ('rename over', lambda: os.rename('empty', 'box'))):
    try:
        op(); sys.exit(what + ' succeeded')
    except OSError as e:
        assert e.errno == errno.EACCES, (what, e)  # not ENOTEMPTY: that would confirm something hidden is there
try:
    os.rmdir('full'); sys.exit('removed a directory holding a visible file')
except OSError as e:
    assert e.errno == errno.ENOTEMPTY, e
assert os.stat('plain').st_nlink == 4             # nothing can be hidden there: the real count
""").AssertOk();
        Assert.True(Directory.Exists(Path.Combine(f.Backend, "box/hid2/x")));
    }

    [Fact]
    public void Mount_root_stays_visible_when_everything_is_denied()
    {
        using var f = Fixture(rules: [new AclRule("/workspace/**", AclAccess.Deny), new AclRule("/workspace/pub/**", AclAccess.Rw)]);
        Assert.Equal("", f.Sh("ls").AssertOk().Stdout);
        f.Sh("cat pub/open.txt").AssertFails();
        f.Sh("touch x").AssertFails();
    }

    [Fact]
    public void Only_a_subtree_allowed_keeps_the_way_there_traversable()
    {
        using var f = Fixture(rules: [new AclRule("/workspace/pub/**", AclAccess.Rw), new AclRule("/workspace/docs/**", AclAccess.Ro)]);
        Assert.Equal("docs\npub\n", f.Sh("ls").AssertOk().Stdout);
        f.Sh("echo hi > pub/new && cat pub/new").AssertOk();
        f.Sh("touch newfile").AssertFails();
        f.Sh("mkdir newdir").AssertFails();
        f.Sh("chmod 700 .").AssertFails();
        f.Sh("cat id.key").AssertFails();
    }

    [Fact]
    public void Renaming_a_directory_whose_subtree_is_all_rw_works()
    {
        using var f = Fixture();
        f.Sh("mkdir -p pub/a/b && echo x > pub/a/b/c && mv pub/a pub/z && cat pub/z/b/c").AssertOk();
        // into a place where the rules differ: still fine, nothing below was less than rw
        f.Sh("mv pub/z mine && cat mine/b/c").AssertOk();
    }

    [Fact]
    public void A_directory_moves_when_nothing_below_it_is_less_than_rw()
    {
        // deny **/*.key makes every subtree possibly mixed by the patterns; what is actually there decides.
        using var f = Fixture();
        f.Python("""
os.makedirs('pub/pkg/sub')
open('pub/pkg/sub/mod.py', 'w').write('x = 1')
os.rename('pub/pkg', 'pub/pkg2')          # plain os.rename, as pip does: no EXDEV fallback
assert open('pub/pkg2/sub/mod.py').read() == 'x = 1'
os.rename('pub/pkg2', 'lib')
""").AssertOk();
        // a directory with a hidden *.key inside does not move
        FuseFixture.Run($"echo K > '{f.Backend}/lib/sub/x.key' && chown 1000:1000 '{f.Backend}/lib/sub/x.key'", uid: 0).AssertOk();
        f.Python("""
try:
    os.rename('lib', 'pub/lib'); sys.exit('moved a directory holding a denied file')
except OSError as e:
    assert e.errno == errno.EXDEV, e
""").AssertOk();
        Assert.True(File.Exists(Path.Combine(f.Backend, "lib/sub/x.key")));
    }

    [Fact]
    public void The_backend_never_follows_a_symlink_swapped_in_behind_the_kernels_back()
    {
        // Another writer of the volume (the host, a second sandbox) replaces a directory the kernel has cached with a
        // symlink to the host's /etc. The backend runs as root: following it would hand out /etc/shadow.
        using var f = new FuseFixture(options: new FuseOptions { EntryTimeout = TimeSpan.FromMinutes(5), AttrTimeout = TimeSpan.FromMinutes(5) });
        f.Sh("mkdir d && echo mine > d/shadow && cat d/shadow && ls d").AssertOk();
        FuseFixture.Run($"mv '{f.Backend}/d' '{f.Backend}/d.old' && ln -s /etc '{f.Backend}/d'", uid: 0).AssertOk();
        var read = f.Sh("cat d/shadow; cat d/passwd; ls d; true", uid: 0).AssertOk();
        Assert.DoesNotContain("root:", read.Stdout);
        f.Sh("echo x > d/newfile", uid: 0).AssertFails();
        Assert.False(File.Exists("/etc/newfile"));
        f.Python("os.setxattr('d', 'user.x', b'1')", uid: 0); // on the symlink itself, never on /etc
        Assert.Empty(FuseFixture.Run("getfattr -n user.x /etc 2>/dev/null; true", uid: 0).Stdout);
    }

    [Fact]
    public void Denials_are_audited()
    {
        using var f = Fixture(passthrough: false);
        f.Sh("(cat secret/data.txt); (cat id.key); (: > docs/readme.md); (touch x.key); true").AssertOk();
        var records = f.Audit.Records.ToArray();
        Assert.Contains(records, r => r is { Path: "/workspace/secret", Allowed: false, Op: FsOp.Lookup, Error: Errno.ENOENT });
        Assert.Contains(records, r => r is { Path: "/workspace/id.key", Allowed: false, Op: FsOp.Lookup });
        Assert.Contains(records, r => r is { Path: "/workspace/docs/readme.md", Allowed: false, Op: FsOp.Open, Error: Errno.EROFS });
        Assert.Contains(records, r => r is { Path: "/workspace/x.key", Allowed: false, Op: FsOp.Create, Error: Errno.EACCES });
        Assert.All(records.Where(r => !r.Allowed), r => Assert.Equal((uint)FuseFixture.AgentUid, r.Uid));
        Assert.DoesNotContain(records, r => r.Allowed && (r.Path.StartsWith("/workspace/secret", StringComparison.Ordinal) || r.Path.EndsWith(".key", StringComparison.Ordinal)));
    }
}
