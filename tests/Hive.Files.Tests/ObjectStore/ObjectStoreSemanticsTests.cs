using Xunit.Abstractions;
namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// One table of file-system semantics run through a real FUSE mount on a local directory, an S3 server (s3rver) and
/// Azure Blob (Azurite), as the agent (uid 1000). Where an object store cannot behave like a disk (hard links, mode
/// bits) the table says what it does instead.
/// </summary>
[Collection("objstore")]
public class ObjectStoreSemanticsTests(StorageServers servers, ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(ObjectStoreMount.AllKinds), MemberType = typeof(ObjectStoreMount))]
    [InlineData("gcs")]
    public void Every_operation_behaves_as_the_table_says(string kind)
    {
        var store = kind != "local";
        var bucket = store ? servers.For(kind).NewBucket() : null;
        using var f = ObjectStoreMount.Mount(servers, kind, bucket: bucket);
        // A directory larger than one page of the store's listing (1000), made directly on the storage.
        if (store)
        {
            using var s = servers.For(kind).Store(bucket!);
            // The Firebase emulator once dropped a connection under 16 uploads at a time: it gets 4.
            Parallel.For(0, 1500, new ParallelOptions { MaxDegreeOfParallelism = kind == "gcs" ? 4 : 16 },
                i => s.PutAsync($"many/{i:00000}", ReadOnlyMemory<byte>.Empty, Hive.Files.ObjectStores.WriteCondition.None, CancellationToken.None).GetAwaiter().GetResult());
        }
        else
        {
            Directory.CreateDirectory(Path.Combine(f.Backend, "many"));
            for (var i = 0; i < 1500; i++) File.WriteAllBytes(Path.Combine(f.Backend, $"many/{i:00000}"), []);
        }
        f.Python($$"""
import stat, time
STORE = {{(store ? "True" : "False")}}
def expect_errno(code, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        assert e.errno == code, (fn.__name__, args, e)
        return
    raise AssertionError(f"{fn.__name__}{args} succeeded; expected {errno.errorcode[code]}")

# write, read back, stat
with open('a.txt', 'w') as fh: fh.write('hello')
assert open('a.txt').read() == 'hello'
st = os.stat('a.txt')
assert st.st_size == 5 and stat.S_ISREG(st.st_mode), st
assert abs(st.st_mtime - time.time()) < 120, st.st_mtime
assert st.st_uid == 1000
# append, overwrite in place, truncate (open and ftruncate), O_EXCL
with open('a.txt', 'a') as fh: fh.write(' world')
assert open('a.txt').read() == 'hello world'
with open('a.txt', 'r+') as fh: fh.seek(0); fh.write('J')
assert open('a.txt').read() == 'Jello world'
os.truncate('a.txt', 4)
assert open('a.txt').read() == 'Jell'
with open('a.txt', 'r+') as fh: fh.truncate(10)
assert open('a.txt', 'rb').read() == b'Jell' + b'\0' * 6
with open('a.txt', 'w') as fh: pass
assert os.stat('a.txt').st_size == 0
expect_errno(errno.EEXIST, os.open, 'a.txt', os.O_CREAT | os.O_EXCL | os.O_WRONLY)
# empty file exists after close
open('empty', 'w').close()
assert os.path.isfile('empty') and os.stat('empty').st_size == 0
# directories
os.mkdir('d')
expect_errno(errno.EEXIST, os.mkdir, 'd')
os.makedirs('d/e/f')
with open('d/e/f/g.txt', 'w') as fh: fh.write('deep')
assert sorted(os.listdir('.')) == ['a.txt', 'd', 'empty', 'many'], os.listdir('.')
assert os.listdir('d') == ['e'] and os.listdir('d/e/f') == ['g.txt']
assert os.path.isdir('d/e') and not os.path.isfile('d/e')
expect_errno(errno.ENOTEMPTY, os.rmdir, 'd/e')
expect_errno(errno.ENOTDIR, os.rmdir, 'a.txt')
expect_errno(errno.EISDIR, os.unlink, 'd')
os.mkdir('empty-dir'); os.rmdir('empty-dir')
assert not os.path.exists('empty-dir')
# rename: file, over a file, directory with contents, back
with open('b.txt', 'w') as fh: fh.write('bee')
os.rename('b.txt', 'c.txt')
assert not os.path.exists('b.txt') and open('c.txt').read() == 'bee'
with open('other', 'w') as fh: fh.write('x')
os.rename('other', 'c.txt')
assert open('c.txt').read() == 'x'
os.rename('d', 'renamed')
assert open('renamed/e/f/g.txt').read() == 'deep' and not os.path.exists('d')
os.mkdir('target'); open('target/x', 'w').close()
expect_errno(errno.ENOTEMPTY, os.rename, 'renamed', 'target')
# a file renamed while open is written under its new name
fh = open('open.txt', 'w'); fh.write('one'); fh.flush()
os.rename('open.txt', 'moved.txt')
fh.write('two'); fh.close()
assert open('moved.txt').read() == 'onetwo', open('moved.txt').read()
# unlink, and unlink of an open file
os.unlink('c.txt')
assert not os.path.exists('c.txt')
expect_errno(errno.ENOENT, os.unlink, 'c.txt')
fh = open('gone.txt', 'w'); fh.write('bye'); os.unlink('gone.txt'); fh.close()
assert not os.path.exists('gone.txt')
# removing the last entry of a directory leaves the directory
os.unlink('renamed/e/f/g.txt')
assert os.path.isdir('renamed/e/f') and os.listdir('renamed/e/f') == []
# a listing larger than one page of the store (1000)
names = os.listdir('many')
assert len(names) == 1500 and sorted(names)[0] == '00000' and sorted(names)[-1] == '01499', len(names)
# symlinks: stored, listed, read back, followed by the kernel, renamed and removed like on a disk
os.symlink('a.txt', 'link')
assert os.readlink('link') == 'a.txt' and stat.S_ISLNK(os.lstat('link').st_mode), os.lstat('link')
assert 'link' in os.listdir('.') and os.path.islink('link')
with open('link', 'a') as fh: fh.write('via link')
assert open('a.txt').read() == 'via link' and open('link').read() == 'via link'
assert stat.S_ISREG(os.stat('link').st_mode) and os.stat('link').st_size == 8
expect_errno(errno.EEXIST, os.symlink, 'elsewhere', 'link')
expect_errno(errno.EEXIST, os.symlink, 'elsewhere', 'a.txt')
os.symlink('no/such/target', 'dangling')
assert os.path.islink('dangling') and not os.path.exists('dangling') and os.readlink('dangling') == 'no/such/target'
os.rename('link', 'link2')
assert os.readlink('link2') == 'a.txt' and not os.path.lexists('link')
os.mkdir('ld'); os.symlink('../a.txt', 'ld/up'); os.symlink('../renamed', 'ld/dir')
assert open('ld/dir/e/f/../f/../../e/f/../../../a.txt').read() == 'via link'
os.rename('ld', 'ld2')
assert os.readlink('ld2/up') == '../a.txt' and open('ld2/up').read() == 'via link' and os.path.isdir('ld2/dir/e')
os.unlink('link2'); os.unlink('dangling')
assert not os.path.lexists('link2') and not os.path.lexists('dangling') and os.path.exists('a.txt')
os.unlink('ld2/up'); os.unlink('ld2/dir'); os.rmdir('ld2')
# hard links, devices, mode bits
if STORE:
    expect_errno(errno.EPERM, os.link, 'a.txt', 'hard')
    expect_errno(errno.EPERM, os.mkfifo, 'fifo')
    os.chmod('a.txt', 0o600)  # accepted, not kept
    assert stat.S_IMODE(os.stat('a.txt').st_mode) == 0o644
# binary content with every byte value, and a 5 MB file in 64 KiB writes
data = bytes(range(256)) * 4096
with open('bin', 'wb') as fh:
    for i in range(0, len(data), 65536): fh.write(data[i:i+65536])
assert open('bin', 'rb').read() == data
print('OK')
""").AssertOk();
    }

    [Theory]
    [MemberData(nameof(ObjectStoreMount.AllKinds), MemberType = typeof(ObjectStoreMount))]
    [InlineData("gcs")]
    public void Git_init_add_commit_works(string kind)
    {
        using var f = ObjectStoreMount.Mount(servers, kind);
        f.Sh("git init -q repo && cd repo && git config user.email a@b && git config user.name agent && git config core.symlinks false "
            + "&& echo one > one.txt && mkdir sub && echo two > sub/two.txt && git add -A && git commit -qm first "
            + "&& echo three >> one.txt && git commit -qam second && git log --oneline | wc -l && git status --porcelain").AssertOk();
        Assert.Equal("2\n", f.Sh("cd repo && git log --oneline | wc -l").AssertOk().Stdout);
        Assert.Equal("", f.Sh("cd repo && git status --porcelain").AssertOk().Stdout);
    }

    [Theory]
    [MemberData(nameof(ObjectStoreMount.AllKinds), MemberType = typeof(ObjectStoreMount))]
    [InlineData("gcs")]
    public void Python_venv_with_symlinks_works(string kind)
    {
        using var f = ObjectStoreMount.Mount(servers, kind);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // The default venv: bin/python is a symlink to the interpreter, and pip is installed into it (TestScale).
        f.Sh($"python3 -m venv {TestScale.VenvArguments}v && v/bin/python -c 'import sys; print(sys.prefix)'", timeoutSeconds: 900).AssertOk();
        output.WriteLine($"{kind}: python3 -m venv {TestScale.VenvArguments}took {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.True(f.Sh("test -L v/bin/python && readlink v/bin/python").AssertOk().Stdout.Trim().Length > 0);
        Assert.Equal(f.MountPoint + "/v\n", f.Sh("v/bin/python -c 'import sys; print(sys.prefix)'").AssertOk().Stdout);
    }

    [Theory]
    [MemberData(nameof(ObjectStoreMount.AllKinds), MemberType = typeof(ObjectStoreMount))]
    [InlineData("gcs")]
    public void Ten_thousand_small_files_are_created_listed_stated_and_deleted(string kind)
    {
        var count = TestScale.SmallFiles(kind);
        using var f = ObjectStoreMount.Mount(servers, kind);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Eight writers at a time, as a build or an unpacked archive would; every step through the mount.
        var result = f.Python($$"""
import time
N = {{count}}
from concurrent.futures import ThreadPoolExecutor
pool = ThreadPoolExecutor(8)
def step(what, fn):
    t = time.monotonic(); fn(); print(f'{what} {time.monotonic() - t:.1f} s', flush=True)
def write(i):
    with open(f'small/{i:05d}', 'w') as fh: fh.write(str(i))
def check(i):
    assert os.stat(f'small/{i:05d}').st_size == len(str(i))
def create():
    os.mkdir('small'); list(pool.map(write, range(N)))
def list_():
    names = os.listdir('small')
    assert len(names) == N and sorted(names) == [f'{i:05d}' for i in range(N)], len(names)
    assert sum(1 for e in os.scandir('small') if e.is_file(follow_symlinks=False)) == N
def stat_():
    list(pool.map(check, range(N)))
    assert open(f'small/{N - 1:05d}').read() == str(N - 1)
def delete():
    list(pool.map(lambda i: os.unlink(f'small/{i:05d}'), range(N)))
    assert os.listdir('small') == []
    os.rmdir('small')
step('create', create); step('list', list_); step('stat', stat_); step('delete', delete)
""", timeoutSeconds: 900).AssertOk();
        output.WriteLine($"{kind}: {count} small files in {watch.Elapsed.TotalSeconds:0.0} s ({result.Stdout.Replace('\n', ';')})");
    }
}
