using Hive.Core.Config;

namespace Hive.Files.Tests;

/// <summary>UpdateAcls: new operations see the new rules at once, whatever the kernel had cached.</summary>
[Collection("fuse")]
public class LiveAclTests
{
    private static readonly AclRule[] AllRw = [new("/workspace/**", AclAccess.Rw)];

    private static readonly AclRule[] NotesDenied = [new("/workspace/notes/**", AclAccess.Deny), new("/workspace/**", AclAccess.Rw)];

    private static readonly AclRule[] NotesReadOnly = [new("/workspace/notes/**", AclAccess.Ro), new("/workspace/**", AclAccess.Rw)];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_change_takes_effect_for_new_operations(bool passthrough)
    {
        using var f = new FuseFixture(AllRw, new FuseOptions { Passthrough = passthrough, EntryTimeout = TimeSpan.FromMinutes(5), AttrTimeout = TimeSpan.FromMinutes(5) });
        // Long timeouts: only the invalidation can make the kernel ask again.
        f.Sh("mkdir notes && echo draft > notes/a.txt && cat notes/a.txt && ls notes && stat notes/a.txt > /dev/null").AssertOk();

        f.Mount.UpdateAcls(NotesDenied);
        f.Sh("cat notes/a.txt").AssertFails();
        f.Sh("ls notes").AssertFails();
        f.Sh("stat notes").AssertFails();
        Assert.Equal("", f.Sh("ls").AssertOk().Stdout);

        f.Mount.UpdateAcls(NotesReadOnly);
        Assert.Equal("draft\n", f.Sh("cat notes/a.txt").AssertOk().Stdout);
        f.Sh("echo more >> notes/a.txt").AssertFails();
        f.Sh("touch notes/b").AssertFails();

        f.Mount.UpdateAcls(AllRw);
        f.Sh("echo more >> notes/a.txt && touch notes/b").AssertOk();
        Assert.Equal("draft\nmore\n", File.ReadAllText(Path.Combine(f.Backend, "notes/a.txt")));
        Assert.Equal(AllRw, f.Mount.Acls);
    }

    [Fact]
    public async Task An_open_descriptor_cannot_be_reopened_once_denied()
    {
        using var f = new FuseFixture(AllRw);
        f.Sh("mkdir notes && echo draft > notes/a.txt").AssertOk();
        var handshake = Directory.CreateDirectory(Path.Combine(f.Base, "handshake")).FullName;
        File.SetUnixFileMode(handshake, (UnixFileMode)0x1FF); // 0777: the child runs as uid 1000
        var ready = Path.Combine(handshake, "ready");
        var go = Path.Combine(handshake, "go");
        var result = Task.Run(() => f.Python($$"""
import time
fd = os.open('notes/a.txt', os.O_RDONLY)
d = os.open('notes', os.O_RDONLY | os.O_DIRECTORY)
open({{Quote(ready)}}, 'w').close()
while not os.path.exists({{Quote(go)}}):
    time.sleep(0.02)
# the descriptor opened while allowed keeps working, like a file whose mode changed after open
assert os.pread(fd, 5, 0) == b'draft'
for attempt in [lambda: os.open(f'/proc/self/fd/{fd}', os.O_RDONLY),
                lambda: open(f'/proc/self/fd/{d}/a.txt').read(),
                lambda: os.open('a.txt', os.O_RDONLY, dir_fd=d),
                lambda: os.listdir(f'/proc/self/fd/{d}')]:
    try:
        attempt(); sys.exit('reopened after the ACL change')
    except OSError as e:
        assert e.errno == errno.ENOENT, e
print('ok')
"""));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(ready) && DateTime.UtcNow < deadline && !result.IsCompleted) Thread.Sleep(20);
        Assert.True(File.Exists(ready), result.IsCompleted ? (await result).ToString() : "the child never got ready");
        f.Mount.UpdateAcls(NotesDenied);
        File.WriteAllText(go, "");
        var r = (await result).AssertOk();
        Assert.Equal("ok\n", r.Stdout);
    }

    private static string Quote(string s) => "'" + s.Replace("'", "\\'") + "'";
}
