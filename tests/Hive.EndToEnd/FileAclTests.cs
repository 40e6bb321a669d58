using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>docs/files.md through the daemon's FUSE mounts, from inside a sandbox, with the agent's own tools.</summary>
[Collection("daemon")]
public sealed class FileAclTests(SharedDaemon fixture)
{
    private static SandboxConfig Config(string volume) => SharedDaemon.Minimal(c => c.Fs =
    [
        new FsMount
        {
            Backend = "local", Mount = "/workspace", Volume = volume,
            Acls =
            [
                new AclRule { Path = "/workspace/secret/**", Access = "deny" },
                new AclRule { Path = "/workspace/ro/**", Access = "ro" },
                new AclRule { Path = "/workspace/**", Access = "rw" },
            ],
        },
    ]);

    private async Task<(Sandbox Sandbox, string Volume)> CreateAsync()
    {
        var volume = SharedDaemon.NewName("aclvol");
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("acl"), Config(volume));
        // The owner puts files in place through the files API (not subject to the agent's ACLs).
        await sb.Files.WriteAsync("/workspace/secret/key.txt", "top-secret");
        await sb.Files.WriteAsync("/workspace/ro/file.txt", "read-only");
        return (sb, volume);
    }

    [Fact]
    public async Task Denied_paths_do_not_exist_for_the_agent_by_any_route()
    {
        var (sb, _) = await CreateAsync();
        try
        {
            // Every route to the denied file: by path, through .., a symlink, a hard link, renaming its parent,
            // a directory fd through /proc, and a recursive search. None may yield its content.
            foreach (var route in new[]
            {
                "cat /workspace/secret/key.txt", "cat /workspace/ro/../secret/key.txt", "ls /workspace/secret",
                "ln -s secret/key.txt /workspace/link && cat /workspace/link", "ln /workspace/secret/key.txt /workspace/hard && cat /workspace/hard",
                "mv /workspace/secret /workspace/opened && cat /workspace/opened/key.txt", "cd /workspace && exec 3<. && cat /proc/self/fd/3/secret/key.txt",
                "grep -r top-secret /workspace", "cat /workspace/*/key.txt",
            })
            {
                var r = await sb.ExecAsync(route);
                Assert.DoesNotContain("top-secret", r.Stdout);
                Assert.True(r.ExitCode != 0 || r.Stdout.Length == 0, $"'{route}' succeeded: {r.Stdout}");
            }
            var listing = (await sb.ExecAsync("ls -a /workspace")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.DoesNotContain("secret", listing);
            Assert.Contains("ro", listing);
            Assert.Equal("top-secret", await sb.Files.ReadTextAsync("/workspace/secret/key.txt")); // still there, for the owner
            var denied = await sb.GetEventsAsync(types: "fs.request");
            Assert.Contains(denied, e => e.Get<string>("access") == "denied" && e.Get<string>("path")!.StartsWith("/workspace/secret"));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task A_directory_holding_only_hidden_entries_shows_no_link_count_and_refuses_rmdir_without_saying_not_empty()
    {
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("nlink"), SharedDaemon.Minimal(c => c.Fs =
        [
            new FsMount
            {
                Backend = "local", Mount = "/workspace", Volume = SharedDaemon.NewName("nlinkvol"),
                Acls = [new AclRule { Path = "/workspace/box/hid*/**", Access = "deny" }, new AclRule { Path = "/workspace/**", Access = "rw" }],
            },
        ]));
        try
        {
            await sb.Files.WriteAsync("/workspace/box/hid1/k.txt", "hidden");
            await sb.Files.WriteAsync("/workspace/box/hid2/k.txt", "hidden");
            Assert.Equal("", (await sb.ExecAsync("ls -A /workspace/box")).Stdout);
            // Not 4: that would count the two hidden subdirectories.
            Assert.Equal("1 0\n", (await sb.ExecAsync("stat -c '%h %s' /workspace/box")).Stdout);
            var rmdir = await sb.ExecAsync("rmdir /workspace/box");
            Assert.NotEqual(0, rmdir.ExitCode);
            Assert.DoesNotContain("not empty", rmdir.Stderr);
            Assert.Contains("ermission denied", rmdir.Stderr);
            Assert.Equal("hidden", await sb.Files.ReadTextAsync("/workspace/box/hid1/k.txt"));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Read_only_paths_refuse_every_kind_of_write()
    {
        var (sb, _) = await CreateAsync();
        try
        {
            Assert.Equal("read-only", (await sb.ExecAsync(["cat", "/workspace/ro/file.txt"])).Stdout);
            foreach (var write in new[]
            {
                "echo x > /workspace/ro/file.txt", "echo x >> /workspace/ro/file.txt", "truncate -s 0 /workspace/ro/file.txt",
                "rm /workspace/ro/file.txt", "chmod 777 /workspace/ro/file.txt", "mv /workspace/ro/file.txt /workspace/moved.txt",
                "echo y > /workspace/other.txt && mv /workspace/other.txt /workspace/ro/file.txt", "touch /workspace/ro/new.txt",
                "mkdir /workspace/ro/d", "ln -s x /workspace/ro/l", "touch -d 2000-01-01 /workspace/ro/file.txt",
            })
            {
                var r = await sb.ExecAsync(write);
                Assert.True(r.ExitCode != 0, $"'{write}' succeeded on a read-only path");
            }
            Assert.Equal("read-only", await sb.Files.ReadTextAsync("/workspace/ro/file.txt"));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task A_live_acl_change_applies_to_the_next_operation()
    {
        var (sb, volume) = await CreateAsync();
        try
        {
            Assert.NotEqual(0, (await sb.ExecAsync(["cat", "/workspace/secret/key.txt"])).ExitCode);
            var config = await sb.GetConfigAsync();
            config.Fs![0].Acls = [new AclRule { Path = "/workspace/**", Access = "ro" }];
            await sb.ApplyConfigAsync(config);
            Assert.Equal("top-secret", (await sb.ExecAsync(["cat", "/workspace/secret/key.txt"])).Stdout);
            Assert.NotEqual(0, (await sb.ExecAsync("echo x > /workspace/new.txt")).ExitCode);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }
}
