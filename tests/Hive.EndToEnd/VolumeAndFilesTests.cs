using System.Text;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

[Collection("daemon")]
public sealed class VolumeAndFilesTests(SharedDaemon fixture)
{
    private HiveConnection Hive => fixture.Hive;

    [Fact]
    public async Task Volume_data_survives_the_sandbox_and_is_seen_by_a_second_one()
    {
        var volume = SharedDaemon.NewName("vol");
        SandboxConfig Config() => SharedDaemon.Minimal(c => c.Fs = [new FsMount { Backend = "local", Mount = "/workspace", Volume = volume }]);
        var first = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("vol-a"), Config());
        Assert.Equal(0, (await first.ExecAsync("echo persisted > /workspace/note.txt")).ExitCode);
        await first.DeleteAsync();
        Assert.True(File.Exists(Path.Combine(fixture.Daemon.Home, "volumes", volume, "note.txt")));

        var second = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("vol-b"), Config());
        var third = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("vol-c"), Config());
        try
        {
            Assert.Equal("persisted\n", (await second.ExecAsync(["cat", "/workspace/note.txt"])).Stdout);
            await third.ExecAsync("echo from-third > /workspace/live.txt");
            Assert.Equal("from-third\n", (await second.ExecAsync(["cat", "/workspace/live.txt"])).Stdout);
        }
        finally
        {
            await second.DeleteAsync();
            await third.DeleteAsync();
        }
    }

    [Fact]
    public async Task Files_api_reads_writes_lists_and_deletes_in_a_mount()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("files"), SharedDaemon.Minimal());
        try
        {
            await sb.Files.WriteAsync("/workspace/dir/a.txt", "hello files");
            Assert.Equal("hello files", (await sb.ExecAsync(["cat", "/workspace/dir/a.txt"])).Stdout);
            Assert.Equal("1000\n", (await sb.ExecAsync("stat -c %u /workspace/dir/a.txt")).Stdout);
            await sb.ExecAsync("echo from-agent > /workspace/b.txt");
            Assert.Equal("from-agent\n", await sb.Files.ReadTextAsync("/workspace/b.txt"));
            var entries = await sb.Files.ListAsync("/workspace");
            Assert.Contains(entries, e => e.Name == "dir" && e.Type == "dir");
            Assert.Contains(entries, e => e.Name == "b.txt" && e.Type == "file");
            await sb.Files.DeleteAsync("/workspace/b.txt");
            await Assert.ThrowsAsync<HiveNotFoundException>(() => sb.Files.ReadAsync("/workspace/b.txt"));
            var big = new byte[3 * 1024 * 1024];
            Random.Shared.NextBytes(big);
            await sb.Files.WriteAsync("/workspace/big.bin", big);
            Assert.Equal(big, await sb.Files.ReadAsync("/workspace/big.bin"));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Files_api_changes_are_seen_at_once_by_every_sandbox_on_the_volume_not_after_the_kernel_cache_expires()
    {
        var volume = SharedDaemon.NewName("vol");
        SandboxConfig Config() => SharedDaemon.Minimal(c => c.Fs = [new FsMount { Backend = "local", Mount = "/workspace", Volume = volume }]);
        var writer = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("api-w"), Config());
        var reader = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("api-r"), Config());
        try
        {
            await writer.Files.WriteAsync("/workspace/doc.txt", "first version\n");
            // Both kernels have now looked the names up. (On this kernel the check also passes without the daemon's
            // notify-inval after an API write: it guards what the agent sees, not that mechanism.)
            foreach (var sb in new[] { writer, reader })
                Assert.Equal("14 first version\n|absent", (await sb.ExecAsync("stat -c '%s ' /workspace/doc.txt | tr -d '\\n'; cat /workspace/doc.txt; printf '|'; cat /workspace/new.txt 2>/dev/null || echo absent")).Stdout.Trim());

            await writer.Files.WriteAsync("/workspace/doc.txt", "second, longer version\n");
            await writer.Files.WriteAsync("/workspace/new.txt", "created\n");
            foreach (var sb in new[] { writer, reader })
                Assert.Equal("23 second, longer version\n|created", (await sb.ExecAsync("stat -c '%s ' /workspace/doc.txt | tr -d '\\n'; cat /workspace/doc.txt; printf '|'; cat /workspace/new.txt")).Stdout.Trim());

            await writer.Files.DeleteAsync("/workspace/doc.txt");
            foreach (var sb in new[] { writer, reader })
                Assert.Equal("gone", (await sb.ExecAsync("stat /workspace/doc.txt >/dev/null 2>&1 && echo still there || echo gone")).Stdout.Trim());
        }
        finally
        {
            await writer.DeleteAsync();
            await reader.DeleteAsync();
        }
    }

    [Fact]
    public async Task Files_api_never_follows_an_agent_planted_symlink_out_of_the_mount()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("link"), SharedDaemon.Minimal());
        var outside = Path.Combine(fixture.Daemon.Home, "outside-secret.txt");
        await File.WriteAllTextAsync(outside, "host secret");
        try
        {
            // The agent points links at host paths (as seen from the daemon) and at its own root.
            await sb.ExecAsync($"ln -s {outside} /workspace/leak; ln -s / /workspace/root; ln -s {fixture.Daemon.Home} /workspace/home");
            await Assert.ThrowsAnyAsync<HiveException>(() => sb.Files.ReadAsync("/workspace/leak"));
            await Assert.ThrowsAnyAsync<HiveException>(() => sb.Files.ReadAsync("/workspace/root/etc/passwd"));
            await Assert.ThrowsAnyAsync<HiveException>(() => sb.Files.WriteAsync("/workspace/leak", "overwritten"));
            await Assert.ThrowsAnyAsync<HiveException>(() => sb.Files.WriteAsync("/workspace/home/planted.txt", "x"));
            await Assert.ThrowsAnyAsync<HiveException>(() => sb.Files.ReadAsync("/workspace/../etc/passwd"));
            await Assert.ThrowsAnyAsync<HiveException>(() => sb.Files.ReadAsync("/etc/passwd"));
            Assert.Equal("host secret", await File.ReadAllTextAsync(outside));
            Assert.False(File.Exists(Path.Combine(fixture.Daemon.Home, "planted.txt")));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }
}
