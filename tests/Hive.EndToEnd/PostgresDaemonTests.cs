using Hive.EndToEnd.Infrastructure;
using Hive.Tests.Postgres;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>The daemon with its state in PostgreSQL (HIVE_DATABASE) instead of $HIVE_HOME/hive.db: a real server, a real daemon.</summary>
public sealed class PostgresDaemonTests
{
    [Fact]
    public async Task A_daemon_on_postgres_keeps_sandboxes_secrets_and_events_there_across_a_sigkill()
    {
        using var pg = PostgresServer.Start();
        var url = pg.Url(pg.CreateDatabase());
        await using var daemon = await DaemonProcess.StartAsync(env: new Dictionary<string, string> { ["HIVE_DATABASE"] = url });
        var name = SharedDaemon.NewName("pg");
        List<long> before;
        using (var hive = daemon.Connect())
        {
            await hive.Secrets.CreateAsync(new SecretCreateOptions { Name = "pg-key", Value = "pg-real-value-0123456789", Hosts = ["api.example.test"], Auth = SecretAuth.Header("X-Key") });
            var sb = await hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal());
            Assert.Equal("hi\n", (await sb.ExecAsync("echo hi")).Stdout);
            before = [.. (await sb.GetEventsAsync()).Select(e => e.Id)];
            Assert.NotEmpty(before);
        }
        Assert.False(File.Exists(Path.Combine(daemon.Home, "hive.db")), "the state went to hive.db, not to PostgreSQL");
        var log = await File.ReadAllTextAsync(daemon.Log);
        Assert.Contains($"store postgres://hive:***@127.0.0.1:{pg.Port}/", log);
        Assert.DoesNotContain(pg.Password, log);

        await daemon.KillAsync();
        await daemon.RestartAsync();
        using var again = daemon.Connect();
        var adopted = await again.GetSandboxAsync(name);
        Assert.Equal("running", adopted.Status);
        Assert.Equal("again\n", (await adopted.ExecAsync("echo again")).Stdout);
        var after = await adopted.GetEventsAsync();
        Assert.Equal(before, after.Take(before.Count).Select(e => e.Id));
        Assert.True(after.Count > before.Count && after[^1].Id > before[^1]);
        Assert.Contains(await again.Secrets.ListAsync(), s => s.Name == "pg-key");
        await adopted.DeleteAsync();
    }

    [Fact]
    public async Task A_daemon_whose_database_is_wrong_does_not_start_and_says_why_without_the_password()
    {
        using var pg = PostgresServer.Start();
        var wrong = pg.Url(pg.CreateDatabase()).Replace(Uri.EscapeDataString(pg.Password), "wrong-password-42");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => DaemonProcess.StartAsync(env: new Dictionary<string, string> { ["HIVE_DATABASE"] = wrong }));
        Assert.Contains("password authentication failed", e.Message);
        Assert.DoesNotContain("wrong-password-42", e.Message);
    }
}
