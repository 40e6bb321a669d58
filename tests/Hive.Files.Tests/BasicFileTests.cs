using Xunit.Abstractions;

namespace Hive.Files.Tests;

/// <summary>Real programs against the mount, with FUSE passthrough on (the default) and off.</summary>
[Collection("fuse")]
public class BasicFileTests(ITestOutputHelper output)
{
    public static TheoryData<bool> Modes => [true, false];

    private static FuseFixture Fixture(bool passthrough) => new(options: new FuseOptions { Passthrough = passthrough });

    [Theory]
    [MemberData(nameof(Modes))]
    public void Create_read_write_append(bool passthrough)
    {
        using var f = Fixture(passthrough);
        f.Sh("echo hello > a.txt && echo world >> a.txt && cat a.txt").AssertOk();
        Assert.Equal("hello\nworld\n", File.ReadAllText(Path.Combine(f.Backend, "a.txt")));
        var r = f.Sh("cat a.txt && wc -c < a.txt").AssertOk();
        Assert.Equal("hello\nworld\n12\n", r.Stdout);
        Assert.Equal("1000:1000 644", f.Sh("stat -c '%u:%g %a' a.txt").AssertOk().Stdout.Trim());
        // overwrite in place and through O_TRUNC
        f.Python("fd = os.open('a.txt', os.O_RDWR); os.pwrite(fd, b'J', 0); os.close(fd)").AssertOk();
        Assert.Equal("Jello\nworld\n", f.Sh("cat a.txt").AssertOk().Stdout);
        f.Sh("echo short > a.txt").AssertOk();
        Assert.Equal("short\n", File.ReadAllText(Path.Combine(f.Backend, "a.txt")));
        // unicode and odd names
        f.Sh("touch 'é 日本.txt' && ls").AssertOk();
        Assert.True(File.Exists(Path.Combine(f.Backend, "é 日本.txt")));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Truncate_chmod_and_times(bool passthrough)
    {
        using var f = Fixture(passthrough);
        f.Sh("printf 'hello world' > t && truncate -s 5 t && cat t").AssertOk();
        Assert.Equal("hello", File.ReadAllText(Path.Combine(f.Backend, "t")));
        f.Sh("truncate -s 100 t && test $(stat -c %s t) = 100").AssertOk();
        f.Sh("chmod 600 t && test $(stat -c %a t) = 600").AssertOk();
        f.Sh("printf '#!/bin/sh\\necho ran\\n' > s.sh && chmod +x s.sh && ./s.sh").AssertOk();
        Assert.Equal("ran\n", f.Sh("./s.sh").AssertOk().Stdout);
        f.Sh("touch -d '2001-02-03 04:05:06' t && test \"$(stat -c %y t | cut -c1-19)\" = '2001-02-03 04:05:06'").AssertOk();
        f.Sh("mkdir d && chmod 700 d && test $(stat -c %a d) = 700").AssertOk();
        // chown to another user needs CAP_CHOWN, which the sandbox user lacks: the kernel refuses
        f.Sh("chown 0 t").AssertFails();
        f.Sh("chown 1000:1000 t && test $(stat -c %u:%g t) = 1000:1000").AssertOk();
        // and even a caller the kernel would let through (root) cannot give a file to another uid through the mount
        f.Sh("chown 1234 t", uid: 0).AssertFails();
        Assert.Equal("1000", f.Sh("stat -c %u t").AssertOk().Stdout.Trim());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Rename_across_directories(bool passthrough)
    {
        using var f = Fixture(passthrough);
        f.Sh("mkdir -p d1/sub d2 && echo x > d1/f && echo y > d1/sub/g").AssertOk();
        f.Sh("mv d1/f d2/renamed && cat d2/renamed && test ! -e d1/f").AssertOk();
        f.Sh("mv d1 d2/moved && cat d2/moved/sub/g && ls d2/moved").AssertOk();
        Assert.Equal("y\n", File.ReadAllText(Path.Combine(f.Backend, "d2/moved/sub/g")));
        // paths below a moved directory follow it (the node tree is re-pathed)
        f.Sh("echo z >> d2/moved/sub/g && cat d2/moved/sub/g").AssertOk();
        Assert.Equal("y\nz\n", File.ReadAllText(Path.Combine(f.Backend, "d2/moved/sub/g")));
        // replace an existing file
        f.Sh("echo new > n && echo old > o && mv n o && cat o").AssertOk();
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(f.Backend, "o")));
        // renameat2 flags
        f.Python("""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
open('a', 'w').write('A'); open('b', 'w').write('B')
assert libc.renameat2(-100, b'a', -100, b'b', 2) == 0, ctypes.get_errno()   # EXCHANGE
assert open('a').read() == 'B' and open('b').read() == 'A'
assert libc.renameat2(-100, b'a', -100, b'b', 1) == -1 and ctypes.get_errno() == errno.EEXIST  # NOREPLACE
""").AssertOk();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Hard_links_and_symlinks(bool passthrough)
    {
        using var f = Fixture(passthrough);
        f.Sh("echo one > a && ln a b").AssertOk();
        f.Sh("test $(stat -c %h a) = 2").AssertOk();
        f.Sh("test $(stat -c %i a) = $(stat -c %i b)").AssertOk();
        f.Sh("echo two >> b && cat a").AssertOk();
        Assert.Equal("one\ntwo\n", f.Sh("cat a").AssertOk().Stdout);
        f.Sh("rm a && cat b && test $(stat -c %h b) = 1").AssertOk();
        f.Sh("ln -s b l && test \"$(readlink l)\" = b && cat l").AssertOk();
        f.Sh("mkdir dir && echo in > dir/x && ln -s dir dl && cat dl/x && cd dl && cat x").AssertOk();
        f.Sh("ln -s nowhere dangling && test -L dangling && ! test -e dangling").AssertOk();
        Assert.Equal("b", new FileInfo(Path.Combine(f.Backend, "l")).LinkTarget);
        // an absolute symlink is resolved by the kernel in the reader's namespace, never by the backend
        f.Sh("ln -s /etc/hostname abs && test \"$(readlink abs)\" = /etc/hostname").AssertOk();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Mmap_read_and_write(bool passthrough)
    {
        using var f = Fixture(passthrough);
        f.Python("""
with open('m.bin', 'wb') as fh:
    fh.write(b'a' * 8192)
with open('m.bin', 'r+b') as fh:
    mm = mmap.mmap(fh.fileno(), 0)
    assert mm[:4] == b'aaaa'
    mm[0:5] = b'HELLO'
    mm[8000:8005] = b'WORLD'
    mm.flush()
    mm.close()
with open('m.bin', 'rb') as fh:
    data = fh.read()
assert data[:5] == b'HELLO' and data[8000:8005] == b'WORLD', data[:10]
with open('m.bin', 'rb') as fh:
    mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    assert mm[8000:8005] == b'WORLD'
""").AssertOk();
        var bytes = File.ReadAllBytes(Path.Combine(f.Backend, "m.bin"));
        Assert.Equal("HELLO"u8.ToArray(), bytes[..5]);
        Assert.Equal("WORLD"u8.ToArray(), bytes[8000..8005]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Sparse_files_fallocate_and_copy_file_range(bool passthrough)
    {
        using var f = Fixture(passthrough);
        f.Python("""
fd = os.open('sparse', os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(fd, b'x', 100 * 1024 * 1024)
st = os.fstat(fd)
assert st.st_size == 100 * 1024 * 1024 + 1, st.st_size
assert st.st_blocks * 512 < 1024 * 1024, st.st_blocks
data = os.lseek(fd, 0, os.SEEK_DATA)
assert data >= 99 * 1024 * 1024, data
assert os.lseek(fd, 0, os.SEEK_HOLE) == 0
os.close(fd)
out = os.open('copy', os.O_CREAT | os.O_WRONLY, 0o644)
src = os.open('sparse', os.O_RDONLY)
n = os.copy_file_range(src, out, 4096, 100 * 1024 * 1024 - 10)
assert n == 11, n
os.close(src); os.close(out)
assert open('copy', 'rb').read() == b'\0' * 10 + b'x'
""").AssertOk();
        f.Sh("fallocate -l 10M alloc && test $(stat -c %s alloc) = 10485760").AssertOk();
        f.Sh("mkfifo pipe && test -p pipe").AssertOk();
        f.Sh("stat -f . > /dev/null && df . > /dev/null").AssertOk();
    }

    [Fact]
    public void Extended_attributes_in_the_user_namespace()
    {
        using var f = new FuseFixture();
        f.Python("""
open('x', 'w').write('x')
os.setxattr('x', 'user.hive', b'value')
assert os.getxattr('x', 'user.hive') == b'value'
assert 'user.hive' in os.listxattr('x')
os.removexattr('x', 'user.hive')
assert 'user.hive' not in os.listxattr('x')
try:
    os.getxattr('x', 'user.hive'); sys.exit('expected ENODATA')
except OSError as e:
    assert e.errno == errno.ENODATA, e
os.mkdir('d'); os.setxattr('d', 'user.k', b'v'); assert os.getxattr('d', 'user.k') == b'v'
""").AssertOk();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Git_init_add_commit(bool passthrough)
    {
        using var f = Fixture(passthrough);
        f.Sh("""
            git init -q repo && cd repo && git config user.email a@example.test && git config user.name tester &&
            mkdir -p src/pkg && for i in $(seq 1 50); do echo "line $i" > src/pkg/f$i.txt; done &&
            printf '#!/bin/sh\necho hi\n' > run.sh && chmod +x run.sh &&
            git add -A && git commit -qm initial && echo changed >> src/pkg/f1.txt &&
            git status --porcelain && git commit -qam second && git log --oneline | wc -l &&
            git gc -q && git fsck --no-progress && git status --porcelain
            """).AssertOk();
        Assert.Equal("2", f.Sh("cd repo && git log --oneline | wc -l").AssertOk().Stdout.Trim());
        Assert.Equal("", f.Sh("cd repo && git status --porcelain").AssertOk().Stdout.Trim());
        FuseFixture.Run($"git -c safe.directory='*' -C '{f.Backend}/repo' log --oneline", uid: 0).AssertOk();
    }

    [Fact]
    public void Many_small_files()
    {
        using var f = new FuseFixture();
        var started = DateTime.UtcNow;
        f.Sh("mkdir many && cd many && i=0; while [ $i -lt 1500 ]; do echo $i > f$i; i=$((i+1)); done").AssertOk();
        var created = DateTime.UtcNow - started;
        Assert.Equal("1500", f.Sh("ls many | wc -l").AssertOk().Stdout.Trim());
        Assert.Equal("1499", f.Sh("cat many/f1499").AssertOk().Stdout.Trim());
        Assert.Equal(1500, Directory.GetFiles(Path.Combine(f.Backend, "many")).Length);
        f.Sh("find many -type f | wc -l && du -s many > /dev/null").AssertOk();
        f.Sh("rm -rf many && test ! -e many").AssertOk();
        output.WriteLine($"1500 files created with a shell loop in {created.TotalMilliseconds:F0} ms");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Large_file(bool passthrough)
    {
        using var f = Fixture(passthrough);
        var write = f.Sh("dd if=/dev/zero of=big bs=1M count=200 conv=fsync 2>&1 | tail -1").AssertOk();
        var read = f.Sh("dd if=big of=/dev/null bs=1M 2>&1 | tail -1").AssertOk();
        output.WriteLine($"passthrough={passthrough} write: {write.Stdout.Trim()}");
        output.WriteLine($"passthrough={passthrough} read:  {read.Stdout.Trim()}");
        f.Sh("head -c 50000000 /dev/urandom > rnd && sha256sum rnd > rnd.sum && sha256sum -c rnd.sum").AssertOk();
        var inMount = f.Sh("sha256sum < rnd").AssertOk().Stdout.Split(' ')[0];
        var onDisk = FuseFixture.Run($"sha256sum < '{f.Backend}/rnd'", uid: 0).AssertOk().Stdout.Split(' ')[0];
        Assert.Equal(onDisk, inMount);
        Assert.Equal(200L * 1024 * 1024, new FileInfo(Path.Combine(f.Backend, "big")).Length);
    }

    [Fact]
    public void Concurrent_writers_and_readers()
    {
        using var f = new FuseFixture(options: new FuseOptions { Threads = 4 });
        f.Sh("""
            for i in 1 2 3 4 5 6 7 8; do (head -c 3000000 /dev/urandom > p$i && sha256sum p$i > p$i.sum) & done; wait &&
            for i in 1 2 3 4 5 6 7 8; do sha256sum -c p$i.sum > /dev/null & done; wait
            """).AssertOk();
    }

    [Fact]
    public void Python_venv()
    {
        using var f = new FuseFixture();
        f.Sh("python3 -m venv --without-pip venv && venv/bin/python -c 'import sys; print(sys.prefix)'").AssertOk();
        Assert.True(File.Exists(Path.Combine(f.Backend, "venv/pyvenv.cfg")));
    }

    /// <summary>Rough numbers for the report; set HIVE_FUSE_BENCH=1 to run (the benchmark proper lives in bench/).</summary>
    [Fact]
    public void Rough_throughput()
    {
        if (Environment.GetEnvironmentVariable("HIVE_FUSE_BENCH") != "1") return;
        foreach (var passthrough in new[] { true, false })
        {
            using var f = Fixture(passthrough);
            var native = Path.Combine(f.Base, "native");
            FuseFixture.Run($"mkdir '{native}' && chown 1000:1000 '{native}'", uid: 0).AssertOk();
            foreach (var (label, dir) in new[] { ("native", native), ("fuse", f.MountPoint) })
            {
                var w = FuseFixture.Run($"cd '{dir}' && dd if=/dev/zero of=big bs=1M count=1024 conv=fsync 2>&1 | tail -1", 1000).AssertOk().Stdout.Trim();
                FuseFixture.Run("sync; echo 3 > /proc/sys/vm/drop_caches", 0);
                var r = FuseFixture.Run($"cd '{dir}' && dd if=big of=/dev/null bs=1M 2>&1 | tail -1", 1000).AssertOk().Stdout.Trim();
                var smallScript = Path.Combine(f.Base, "small.py");
                File.WriteAllText(smallScript, string.Join('\n',
                    "import os, sys",
                    "os.chdir(sys.argv[1])",
                    "for i in range(10000):",
                    "    n = 's%d' % i",
                    "    fd = os.open(n, os.O_CREAT | os.O_WRONLY, 0o644); os.write(fd, b'x' * 100); os.close(fd)",
                    "    os.stat(n); os.unlink(n)", ""));
                var randomScript = Path.Combine(f.Base, "randread.py");
                File.WriteAllText(randomScript, string.Join('\n',
                    "import os, sys, random",
                    "fd = os.open(os.path.join(sys.argv[1], 'big'), os.O_RDONLY); size = os.fstat(fd).st_size",
                    "for i in range(20000):",
                    "    os.pread(fd, 4096, random.randrange(0, size // 4096) * 4096)", ""));
                var watch = System.Diagnostics.Stopwatch.StartNew();
                FuseFixture.Run($"python3 '{smallScript}' '{dir}'", 1000).AssertOk();
                var small = watch.Elapsed;
                watch.Restart();
                FuseFixture.Run($"python3 '{randomScript}' '{dir}'", 1000).AssertOk();
                output.WriteLine($"passthrough={passthrough} {label}: write [{w}] read [{r}] 10k small files {small.TotalMilliseconds:F0} ms, 20k random 4k reads {watch.Elapsed.TotalMilliseconds:F0} ms");
                FuseFixture.Run($"rm -f '{dir}/big'", 0);
            }
        }
    }
}
