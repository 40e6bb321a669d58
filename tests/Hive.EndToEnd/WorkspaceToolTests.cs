using Hive.EndToEnd.Infrastructure;
using HiveClient;
using static Hive.EndToEnd.Infrastructure.BaseDaemon;

namespace Hive.EndToEnd;

/// <summary>
/// The agent's own tools (coreutils, python3, git on hive/base) in /workspace, which the daemon serves through its
/// mediating FUSE file system: everyday work succeeds, and the ACLs show up as the errors those tools understand.
/// </summary>
[Collection("base")]
public sealed class WorkspaceToolTests(BaseDaemon fixture)
{
    private HiveConnection Hive => fixture.Hive;

    private static FsMount Workspace(string volume, params AclRule[] acls) => new()
    {
        Backend = "local", Mount = "/workspace", Volume = volume,
        Acls = [.. acls, new AclRule { Path = "/workspace/**", Access = "rw" }],
    };

    private string VolumeDir(string volume) => Path.Combine(fixture.Daemon.Home, "volumes", volume);

    [Fact]
    public async Task Everyday_file_operations_with_coreutils_and_python()
    {
        var volume = SharedDaemon.NewName("tools");
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("tools"), Base(c => c.Fs = [Workspace(volume)]));
        try
        {
            Assert.Equal("hello\nworld\n12\n", await OkAsync(sb, """
                echo hello > a.txt; echo world >> a.txt; cat a.txt; wc -c < a.txt
                """));
            Assert.Equal("1000:1000 644", (await OkAsync(sb, "stat -c '%u:%g %a' a.txt")).Trim());
            await OkAsync(sb, """
                printf 'hello world' > t; truncate -s 5 t; test "$(cat t)" = hello
                truncate -s 100 t; test "$(stat -c %s t)" = 100
                chmod 600 t; test "$(stat -c %a t)" = 600
                printf '#!/bin/sh\necho ran\n' > run.sh; chmod +x run.sh; test "$(./run.sh)" = ran
                touch -d '2001-02-03 04:05:06' t; test "$(stat -c %y t | cut -c1-19)" = '2001-02-03 04:05:06'
                mkdir -p d1/sub d2; echo x > d1/f; echo y > d1/sub/g
                mv d1/f d2/renamed; test "$(cat d2/renamed)" = x; test ! -e d1/f
                mv d1 d2/moved; test "$(cat d2/moved/sub/g)" = y; echo z >> d2/moved/sub/g
                echo one > h1; ln h1 h2; test "$(stat -c %h h1)" = 2; test "$(stat -c %i h1)" = "$(stat -c %i h2)"
                echo two >> h2; test "$(cat h1)" = "$(printf 'one\ntwo')"; rm h1; test "$(stat -c %h h2)" = 1
                ln -s h2 l; test "$(readlink l)" = h2; test "$(cat l)" = "$(cat h2)"
                ln -s d2/moved dl; test "$(cat dl/sub/g)" = "$(printf 'y\nz')"
                ln -s nowhere dangling; test -L dangling; test ! -e dangling
                chown 1000:1000 a.txt; if chown 0 a.txt 2>/dev/null; then exit 1; fi
                fallocate -l 10M alloc; test "$(stat -c %s alloc)" = 10485760
                mkfifo pipe; test -p pipe
                df /workspace > /dev/null
                """);
            Assert.Equal("y\nz\n", await File.ReadAllTextAsync(Path.Combine(VolumeDir(volume), "d2/moved/sub/g")));

            // mmap, sparse files and holes, copy_file_range, renameat2 flags, user xattrs: through python's os module.
            await PythonAsync(sb, """
with open('m.bin', 'wb') as fh:
    fh.write(b'a' * 8192)
with open('m.bin', 'r+b') as fh:
    mm = mmap.mmap(fh.fileno(), 0)
    mm[0:5] = b'HELLO'; mm[8000:8005] = b'WORLD'; mm.flush(); mm.close()
data = open('m.bin', 'rb').read()
assert data[:5] == b'HELLO' and data[8000:8005] == b'WORLD'
fd = os.open('sparse', os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(fd, b'x', 100 * 1024 * 1024)
st = os.fstat(fd)
assert st.st_size == 100 * 1024 * 1024 + 1 and st.st_blocks * 512 < 1024 * 1024, st
assert os.lseek(fd, 0, os.SEEK_DATA) >= 99 * 1024 * 1024
assert os.lseek(fd, 0, os.SEEK_HOLE) == 0
out = os.open('copy', os.O_CREAT | os.O_WRONLY, 0o644)
assert os.copy_file_range(fd, out, 4096, 100 * 1024 * 1024 - 10) == 11
os.close(fd); os.close(out)
assert open('copy', 'rb').read() == b'\0' * 10 + b'x'
libc = ctypes.CDLL(None, use_errno=True)
open('ra', 'w').write('A'); open('rb', 'w').write('B')
assert libc.renameat2(-100, b'ra', -100, b'rb', 2) == 0, ctypes.get_errno()
assert open('ra').read() == 'B' and open('rb').read() == 'A'
assert libc.renameat2(-100, b'ra', -100, b'rb', 1) == -1 and ctypes.get_errno() == errno.EEXIST
os.setxattr('ra', 'user.hive', b'v'); assert os.getxattr('ra', 'user.hive') == b'v'
assert 'user.hive' in os.listxattr('ra'); os.removexattr('ra', 'user.hive')
try:
    os.setxattr('ra', 'trusted.x', b'v'); sys.exit('trusted xattr set')
except OSError as e:
    assert e.errno in (errno.EPERM, errno.EOPNOTSUPP), e
""");

            // 10,000 small files, and a 1 GB file written, checked and read back.
            Assert.Equal("10000\n", await OkAsync(sb, """
                mkdir many; cd many; for i in $(seq 1 10000); do echo $i > f$i; done; ls | wc -l
                """, 300_000));
            Assert.Equal(10_000, Directory.GetFiles(Path.Combine(VolumeDir(volume), "many")).Length);
            await OkAsync(sb, "cat many/f9999 | grep -qx 9999; find many -type f | wc -l | grep -qx 10000; rm -r many; test ! -e many", 300_000);
            await OkAsync(sb, """
                head -c 1048576 /dev/urandom > chunk
                for i in $(seq 1 1000); do cat chunk; done > big; test "$(stat -c %s big)" = 1048576000
                for i in $(seq 1 1000); do cat chunk; done | sha256sum > expected; sha256sum < big | cmp - expected
                rm big
                """, 300_000);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Git_and_a_python_venv_work_in_the_workspace()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("git"), Base());
        try
        {
            var status = await OkAsync(sb, """
                git init -q repo; cd repo; git config user.email a@example.test; git config user.name tester
                mkdir -p src/pkg; for i in $(seq 1 200); do echo "line $i" > src/pkg/f$i.txt; done
                printf '#!/bin/sh\necho hi\n' > run.sh; chmod +x run.sh
                git add -A; git commit -qm initial; echo changed >> src/pkg/f1.txt; echo new > untracked.txt
                git status --porcelain
                git commit -qam second; git gc -q; git fsck --no-progress
                test "$(git log --oneline | wc -l)" = 2
                git checkout -q HEAD~1 -- src/pkg/f1.txt; git stash -q; git stash pop -q; git branch topic; git switch -q topic
                """);
            Assert.Equal(" M src/pkg/f1.txt\n?? untracked.txt\n", status);
            Assert.Equal("/workspace/venv\nok\n", await OkAsync(sb, """
                python3 -m venv --without-pip venv
                venv/bin/python -c 'import sys; print(sys.prefix)'
                mkdir -p venv/lib/mod; echo 'print("ok")' > venv/lib/mod/hello.py; PYTHONPATH=venv/lib/mod venv/bin/python -m hello
                """));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Acls_show_up_as_errors_the_tools_understand()
    {
        var volume = SharedDaemon.NewName("aclt");
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("aclt"), Base(c => c.Fs =
        [
            Workspace(volume, new AclRule { Path = "/workspace/secret/**", Access = "deny" },
                new AclRule { Path = "/workspace/ro/**", Access = "ro" }, new AclRule { Path = "/workspace/proj/vendor/**", Access = "ro" }),
        ]));
        try
        {
            await sb.Files.WriteAsync("/workspace/secret/key.txt", "top-secret");
            await sb.Files.WriteAsync("/workspace/ro/file.txt", "read-only");
            await sb.Files.WriteAsync("/workspace/proj/vendor/lib.txt", "vendored");
            await sb.Files.WriteAsync("/workspace/proj/main.txt", "mine");

            // Denied: not there by any route python can take, and never in a listing.
            await PythonAsync(sb, """
def refused(f):
    try:
        f(); sys.exit('succeeded: ' + f.__doc__)
    except OSError as e:
        assert e.errno in (errno.ENOENT, errno.EACCES, errno.EXDEV), e
d = os.open('.', os.O_RDONLY | os.O_DIRECTORY)
for f in [lambda: open('secret/key.txt').read(), lambda: open('ro/../secret/key.txt').read(),
          lambda: os.open('secret/key.txt', os.O_RDONLY, dir_fd=d), lambda: open('/proc/self/fd/%d/secret/key.txt' % d).read(),
          lambda: os.stat('secret'), lambda: os.listdir('secret'), lambda: os.link('secret/key.txt', 'stolen'),
          lambda: os.rename('secret', 'opened'), lambda: open('secret/new.txt', 'w')]:
    refused(f)
os.symlink('secret/key.txt', 'via-link')
refused(lambda: open('via-link').read())
assert 'secret' not in os.listdir('.'), os.listdir('.')
assert all('secret' not in dirs for _, dirs, _ in os.walk('.'))
""");
            // Read-only: readable, and every kind of write fails with EROFS (tools print "Read-only file system").
            await PythonAsync(sb, """
assert open('ro/file.txt').read() == 'read-only'
def erofs(f):
    try:
        f(); sys.exit('write succeeded on a read-only path')
    except OSError as e:
        assert e.errno in (errno.EROFS, errno.EACCES, errno.EXDEV), e
open('mine.txt', 'w').write('x')
for f in [lambda: open('ro/file.txt', 'w'), lambda: open('ro/file.txt', 'a'), lambda: open('ro/file.txt', 'r+'),
          lambda: os.truncate('ro/file.txt', 0), lambda: os.unlink('ro/file.txt'), lambda: os.chmod('ro/file.txt', 0o777),
          lambda: os.utime('ro/file.txt', (0, 0)), lambda: os.setxattr('ro/file.txt', 'user.x', b'1'),
          lambda: os.rename('mine.txt', 'ro/file.txt'), lambda: os.rename('ro/file.txt', 'moved.txt'),
          lambda: os.link('ro/file.txt', 'hard.txt'), lambda: os.link('mine.txt', 'ro/hard.txt'),
          lambda: os.mkdir('ro/d'), lambda: os.symlink('x', 'ro/l'), lambda: open('ro/new.txt', 'x')]:
    erofs(f)
with open('ro/file.txt', 'rb') as fh:
    try:
        mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_WRITE); sys.exit('writable mapping of a read-only file')
    except OSError as e:
        assert e.errno == errno.EACCES, e
assert open('ro/file.txt').read() == 'read-only'
""");
            var sed = await ShAsync(sb, "sed -i s/read/written/ ro/file.txt");
            Assert.NotEqual(0, sed.ExitCode);
            Assert.Contains("Read-only file system", sed.Stderr + sed.Stdout);
            Assert.NotEqual(0, (await ShAsync(sb, "cp mine.txt ro/copied.txt")).ExitCode);

            // A directory with a read-only part below it does not move in one piece: mv copies what it may (each
            // entry checked) and fails to remove the read-only part, which stays as it was.
            var mv = await ShAsync(sb, "mv proj proj2");
            Assert.NotEqual(0, mv.ExitCode);
            Assert.Equal("vendored", await sb.Files.ReadTextAsync("/workspace/proj/vendor/lib.txt"));
            Assert.Equal("vendored", (await OkAsync(sb, "cat proj/vendor/lib.txt")));
            // A wholly rw directory moves with rename(2), as usual.
            await OkAsync(sb, "mkdir -p free/sub; echo f > free/sub/x; mv free freed; test \"$(cat freed/sub/x)\" = f; test ! -e free");

            // git cannot make a repository under a read-only path.
            Assert.NotEqual(0, (await ShAsync(sb, "git init -q ro/repo")).ExitCode);

            Assert.Equal("top-secret", await sb.Files.ReadTextAsync("/workspace/secret/key.txt"));
            Assert.Equal("read-only", await sb.Files.ReadTextAsync("/workspace/ro/file.txt"));
            var events = await sb.GetEventsAsync(types: "fs.request");
            Assert.Contains(events, e => e.Get<string>("access") == "denied" && e.Get<string>("path")!.StartsWith("/workspace/secret"));
            Assert.Contains(events, e => e.Get<string>("access") == "denied" && e.Get<string>("path") == "/workspace/ro/file.txt");
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Two_sandboxes_share_a_volume_at_once_each_with_its_own_acls()
    {
        var volume = SharedDaemon.NewName("shared");
        var writer = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("writer"), Base(c => c.Fs = [Workspace(volume)]));
        var reader = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("reader"), Base(c => c.Fs =
        [
            new FsMount
            {
                Backend = "local", Mount = "/workspace", Volume = volume,
                Acls = [new AclRule { Path = "/workspace/private/**", Access = "deny" }, new AclRule { Path = "/workspace/**", Access = "ro" }],
            },
        ]));
        try
        {
            await OkAsync(writer, "mkdir -p private; echo key > private/p.txt; echo v1 > shared.txt");
            Assert.Equal("v1\n", await OkAsync(reader, "cat shared.txt"));
            Assert.Equal("shared.txt\n", await OkAsync(reader, "ls"));
            Assert.NotEqual(0, (await ShAsync(reader, "cat private/p.txt")).ExitCode);
            var write = await ShAsync(reader, "echo from-reader >> shared.txt");
            Assert.Contains("Read-only file system", write.Stderr);

            // The writer's later changes reach the reader (within the 1 s the kernel may cache attributes).
            await OkAsync(writer, "echo v2 >> shared.txt; echo new > later.txt");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            string seen;
            while ((seen = (await ShAsync(reader, "cat shared.txt later.txt")).Stdout) != "v1\nv2\nnew\n" && DateTime.UtcNow < deadline)
                await Task.Delay(200);
            Assert.Equal("v1\nv2\nnew\n", seen);

            // Loosening the reader's rules through PUT config applies to its next operation; the writer is unaffected.
            var config = await reader.GetConfigAsync();
            config.Fs![0].Acls = [new AclRule { Path = "/workspace/**", Access = "rw" }];
            await reader.ApplyConfigAsync(config);
            Assert.Equal("key\n", await OkAsync(reader, "cat private/p.txt"));
            await OkAsync(reader, "echo from-reader >> shared.txt");
            Assert.Equal("v1\nv2\nfrom-reader\n", await OkAsync(writer, "sleep 1.1; cat shared.txt"));
        }
        finally
        {
            await writer.DeleteAsync();
            await reader.DeleteAsync();
        }
        Assert.True(File.Exists(Path.Combine(VolumeDir(volume), "shared.txt")), "the named volume outlives its sandboxes");
    }
}
