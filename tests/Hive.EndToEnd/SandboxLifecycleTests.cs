using System.Diagnostics;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

[Collection("daemon")]
public sealed class SandboxLifecycleTests(SharedDaemon fixture)
{
    private HiveConnection Hive => fixture.Hive;

    [Fact]
    public async Task Create_exec_returns_output_and_exit_code()
    {
        var name = SharedDaemon.NewName("life");
        var sb = await Hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal());
        try
        {
            Assert.Equal("running", sb.Status);
            var r = await sb.ExecAsync(["sh", "-c", "echo out; echo err >&2; exit 7"]);
            Assert.Equal(7, r.ExitCode);
            Assert.Equal("out\n", r.Stdout);
            Assert.Equal("err\n", r.Stderr);

            var withStdin = await sb.ExecAsync(new ExecRequest { Command = new ExecCommand(["cat"]), Stdin = "piped" });
            Assert.Equal("piped", withStdin.Stdout);

            var cwdEnv = await sb.ExecAsync(new ExecRequest { Command = new ExecCommand("pwd; echo $GREETING"), Cwd = "/tmp", Env = new() { ["GREETING"] = "hi" } });
            Assert.Equal("/tmp\nhi\n", cwdEnv.Stdout);
        }
        finally
        {
            await sb.DeleteAsync();
        }
        await Assert.ThrowsAsync<HiveNotFoundException>(() => Hive.GetSandboxAsync(name));
    }

    [Fact]
    public async Task Streaming_exec_delivers_output_as_it_is_written()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("stream"), SharedDaemon.Minimal());
        try
        {
            var clock = Stopwatch.StartNew();
            var arrivals = new List<(string Data, long Ms)>();
            ExecFrame? exit = null;
            await foreach (var f in sb.ExecStreamAsync(["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.4; done; echo done >&2"]))
            {
                if (f.Kind == ExecFrameKind.Exit) exit = f;
                else arrivals.Add((f.Data!, clock.ElapsedMilliseconds));
            }
            Assert.Equal(0, exit?.ExitCode);
            Assert.Equal("1\n2\n3\ndone\n", string.Concat(arrivals.Select(a => a.Data)));
            // "1" must arrive well before the command ends (about 1.2 s later), not all at the end.
            var first = arrivals.First(a => a.Data.Contains('1')).Ms;
            var last = arrivals.Last().Ms;
            Assert.True(last - first >= 700, $"output arrived in one burst: first at {first} ms, last at {last} ms");
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Theory]
    [InlineData("""{"command":[]}""", "command", "non-empty")]
    [InlineData("""{"command":["echo","a\u0000b"]}""", "command", "NUL")]
    [InlineData("""{"command":"true","cwd":"/tmp\u0000x"}""", "cwd", "NUL")]
    [InlineData("""{"command":"true","env":{"A":"x\u0000y"}}""", "env.A", "NUL")]
    [InlineData("""{"command":"true","env":{"A=B":"x"}}""", "env.A=B", "not a valid variable name")]
    [InlineData("""{"command":"true","cwd":"relative"}""", "cwd", "absolute")]
    [InlineData("""{"command":"true","timeoutMs":0}""", "timeoutMs", "between 1 and")]
    [InlineData("""{"command":"true","user":"root"}""", "user", "unknown field")]
    public async Task Invalid_exec_requests_get_400_naming_the_field_and_run_nothing(string body, string field, string message)
    {
        var name = SharedDaemon.NewName("badexec");
        var sb = await Hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal());
        try
        {
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Authorization = new("Bearer", fixture.Daemon.Token);
            var response = await http.PostAsync($"{fixture.Daemon.Url}/v1/sandboxes/{name}/exec", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(400, (int)response.StatusCode);
            var problem = await response.Content.ReadAsStringAsync();
            Assert.Contains($"\"{field}\"", problem);
            Assert.Contains(message, problem);
            Assert.Empty(await sb.GetEventsAsync(types: "exec.*"));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Exec_timeout_and_client_cancellation_kill_the_command()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("kill"), SharedDaemon.Minimal());
        try
        {
            // A background child too: the whole process group goes, not only the command's first process.
            var timedOut = await sb.ExecAsync(new ExecRequest { Command = new ExecCommand(["sh", "-c", "sleep 30 & sleep 34"]), TimeoutMs = 500 });
            Assert.True(timedOut.TimedOut);
            Assert.Equal(124, timedOut.ExitCode);

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var _ in sb.ExecStreamAsync(["sleep", "31"], ct: cts.Token)) { }
            });
            // Neither sleep may survive its request.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            string ps;
            do
            {
                await Task.Delay(200);
                ps = (await sb.ExecAsync(["ps", "-o", "args"])).Stdout;
            } while (ps.Contains("sleep 3") && DateTime.UtcNow < deadline);
            Assert.DoesNotContain("sleep 30", ps);
            Assert.DoesNotContain("sleep 34", ps);
            Assert.DoesNotContain("sleep 31", ps);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Get_or_create_is_idempotent_under_concurrent_calls()
    {
        var name = SharedDaemon.NewName("idem");
        var calls = Enumerable.Range(0, 10).Select(_ => Hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal())).ToList();
        var results = await Task.WhenAll(calls);
        try
        {
            Assert.Single(results, r => r.Created);
            Assert.All(results, r => Assert.Equal("running", r.Status));
            Assert.Single(await Hive.ListSandboxesAsync(), s => s.Name == name);
            var created = await results[0].GetEventsAsync(types: "sandbox.created");
            Assert.Single(created);
        }
        finally
        {
            await Hive.DeleteSandboxAsync(name);
        }
    }

    [Fact]
    public async Task Existing_sandbox_keeps_its_config()
    {
        var name = SharedDaemon.NewName("keep");
        var first = await Hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal(c => c.Ttl = 600));
        try
        {
            var second = await Hive.GetOrCreateSandboxAsync(name, SharedDaemon.Minimal(c => c.Ttl = 5));
            Assert.True(first.Created);
            Assert.False(second.Created);
            Assert.Equal(600, second.Config.Ttl);
        }
        finally
        {
            await first.DeleteAsync();
        }
    }

    [Fact]
    public async Task Ttl_stops_an_idle_sandbox_and_exec_starts_it_again()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("ttl"), SharedDaemon.Minimal(c => c.Ttl = 1));
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline)
            {
                await sb.RefreshAsync();
                if (sb.Status == "stopped") break;
                await Task.Delay(250);
            }
            Assert.Equal("stopped", sb.Status);
            Assert.Single(await sb.GetEventsAsync(types: "sandbox.expired"));
            var r = await sb.ExecAsync(["echo", "back"]);
            Assert.Equal("back\n", r.Stdout);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }
}
