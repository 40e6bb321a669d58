using System.Diagnostics;
using System.Text;
using Hive.Files.Backends;
using Hive.Files.Owner;

namespace Hive.Files.Tests;

/// <summary>
/// The owner's files API over a backend: special files the agent can make (FIFO, UNIX socket; a device on a host
/// directory) are never opened for reading or writing and answer 409 at once; every backend call has a deadline.
/// </summary>
public sealed class OwnerFilesTests : IDisposable
{
    private static readonly FilesDeadline Deadline = new(TimeSpan.FromSeconds(5));
    private readonly string _root = Directory.CreateTempSubdirectory("hive-owner-files-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>name → how to make it at a path, and the word the 409 must use.</summary>
    public static TheoryData<string, string> Specials => new()
    {
        { "fifo", "FIFO" },
        { "socket", "UNIX socket" },
        { "chardev", "character device" },
    };

    private void Make(string kind, string path)
    {
        switch (kind)
        {
            case "fifo":
                FuseFixture.Run($"mkfifo '{path}'", uid: 0).AssertOk();
                break;
            case "socket":
                // python leaves the socket file behind when it exits (.NET would remove it on dispose).
                FuseFixture.Run($"python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('{path}')\"", uid: 0).AssertOk();
                break;
            default:
                FuseFixture.Run($"mknod '{path}' c 1 3", uid: 0).AssertOk(); // /dev/null's numbers, on a host directory
                break;
        }
    }

    private Task<OwnerFiles> OpenAsync() => OwnerFiles.OpenAsync(_root, "/workspace/x", Deadline, CancellationToken.None);

    [Theory]
    [MemberData(nameof(Specials))]
    public async Task Special_files_are_refused_at_once_for_reading_and_writing_and_can_be_deleted(string kind, string word)
    {
        Make(kind, Path.Combine(_root, "special"));
        var clock = Stopwatch.StartNew();
        using (var files = await OpenAsync())
        {
            var read = await Assert.ThrowsAsync<OwnerFilesException>(() => files.ReadAsync(["special"], CancellationToken.None));
            Assert.Equal(409, read.Status);
            Assert.Contains(word, read.Message);
            var write = await Assert.ThrowsAsync<OwnerFilesException>(() => files.WriteAsync(["special"], new MemoryStream("x"u8.ToArray()), 1000, 1000, CancellationToken.None));
            Assert.Equal(409, write.Status);
            Assert.Contains(word, write.Message);
            var (_, listing) = await files.ReadAsync([], CancellationToken.None);
            Assert.Equal(OwnerFiles.TypeName(KindBits(kind)), Assert.Single(listing!).Type);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        FuseFixture.Run($"test -{TestFlag(kind)} '{Path.Combine(_root, "special")}'", uid: 0).AssertOk(); // untouched by the write
        using (var files = await OpenAsync()) await files.DeleteAsync(["special"], CancellationToken.None);
        Assert.False(Path.Exists(Path.Combine(_root, "special")));
    }

    private static uint KindBits(string kind) => kind switch { "fifo" => 0x1000, "socket" => 0xC000, _ => 0x2000 };
    private static char TestFlag(string kind) => kind switch { "fifo" => 'p', "socket" => 'S', _ => 'c' };

    [Fact]
    public async Task Listing_names_every_type()
    {
        Make("fifo", Path.Combine(_root, "p"));
        Make("socket", Path.Combine(_root, "s"));
        File.WriteAllText(Path.Combine(_root, "f"), "abc");
        Directory.CreateDirectory(Path.Combine(_root, "d"));
        File.CreateSymbolicLink(Path.Combine(_root, "l"), "/etc/passwd");
        using var files = await OpenAsync();
        var (_, listing) = await files.ReadAsync([], CancellationToken.None);
        Assert.Equal(["d:dir:0", "f:file:3", "l:symlink:0", "p:fifo:0", "s:socket:0"], listing!.Select(e => $"{e.Name}:{e.Type}:{e.Size}"));
    }

    [Fact]
    public async Task Regular_files_round_trip_and_symlinks_are_never_followed()
    {
        using (var files = await OpenAsync())
            await files.WriteAsync(["a", "b", "c.txt"], new MemoryStream(Encoding.UTF8.GetBytes("hello")), 1000, 1000, CancellationToken.None);
        using (var files = await OpenAsync())
        {
            var (file, _) = await files.ReadAsync(["a", "b", "c.txt"], CancellationToken.None);
            await using (file) Assert.Equal("hello", await new StreamReader(file!).ReadToEndAsync());
        }
        File.CreateSymbolicLink(Path.Combine(_root, "out"), "/etc");
        File.CreateSymbolicLink(Path.Combine(_root, "passwd"), "/etc/passwd");
        using (var files = await OpenAsync())
        {
            Assert.Equal(400, (await Assert.ThrowsAsync<OwnerFilesException>(() => files.ReadAsync(["out", "passwd"], CancellationToken.None))).Status);
            Assert.Equal(409, (await Assert.ThrowsAsync<OwnerFilesException>(() => files.ReadAsync(["passwd"], CancellationToken.None))).Status);
            Assert.Equal(409, (await Assert.ThrowsAsync<OwnerFilesException>(() =>
                files.WriteAsync(["passwd"], new MemoryStream("x"u8.ToArray()), 1000, 1000, CancellationToken.None))).Status);
            Assert.Equal(400, (await Assert.ThrowsAsync<OwnerFilesException>(() =>
                files.WriteAsync(["out", "planted"], new MemoryStream("x"u8.ToArray()), 1000, 1000, CancellationToken.None))).Status);
        }
        Assert.False(File.Exists("/etc/planted"));
    }

    [Fact]
    public async Task A_backend_call_that_does_not_return_answers_504_at_the_deadline()
    {
        File.WriteAllText(Path.Combine(_root, "f"), "x");
        var backend = new StallingBackend(_root) { StallStat = true };
        try
        {
            var deadline = new FilesDeadline(TimeSpan.FromMilliseconds(300));
            var files = await OwnerFiles.OpenAsync(() => backend, "/workspace/f", deadline, CancellationToken.None);
            var clock = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<OwnerFilesException>(() => files.ReadAsync(["f"], CancellationToken.None));
            Assert.Equal(504, e.Status);
            Assert.Contains("300 ms", e.Message);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
            files.Dispose(); // abandoned call still running: the backend stays open for it
        }
        finally
        {
            backend.Dispose();
        }
    }

    [Theory]
    [InlineData(null, 30_000)]
    [InlineData("250", 250)]
    public void The_deadline_comes_from_the_environment(string? value, int ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), FilesDeadline.FromEnvironment(_ => value).Timeout);

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("soon")]
    public void A_bad_deadline_names_the_variable(string value) =>
        Assert.Contains(FilesDeadline.EnvironmentVariable, Assert.Throws<InvalidOperationException>(() => FilesDeadline.FromEnvironment(_ => value)).Message);
}
