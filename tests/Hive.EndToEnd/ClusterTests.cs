using System.Text;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>One controller and two hosts as separate processes on PostgreSQL (issue 14): the whole rig is started once.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public ClusterRig Rig { get; private set; } = null!;

    public async Task InitializeAsync() => Rig = await ClusterRig.StartAsync(hosts: 2);

    public async Task DisposeAsync()
    {
        if (Rig is not null) await Rig.DisposeAsync();
    }
}

/// <summary>
/// Cluster mode end to end: sandboxes created through the controller land on both hosts, every API works through it,
/// a host or the controller killed with SIGKILL loses nothing, two controllers elect one leader, a stranger is refused.
/// Each test leaves the rig as it found it (both hosts live, one controller), so they share one.
/// </summary>
public sealed partial class ClusterTests(ClusterFixture fx) : IClassFixture<ClusterFixture>
{
    private ClusterRig Rig => fx.Rig;

    private static async Task<string?> HostOfAsync(HiveConnection hive, string name) => (await hive.GetSandboxAsync(name)).Info.Host;

    [Fact]
    public async Task Forty_sandboxes_created_through_the_controller_land_on_both_hosts()
    {
        using var hive = Rig.Connect();
        var names = Enumerable.Range(0, 40).Select(i => SharedDaemon.NewName($"c{i}")).ToList();
        try
        {
            using var gate = new SemaphoreSlim(8);
            await Task.WhenAll(names.Select(async n =>
            {
                await gate.WaitAsync();
                try { await hive.GetOrCreateSandboxAsync(n, SharedDaemon.Minimal()); }
                finally { gate.Release(); }
            }));
            var placed = new Dictionary<string, int>();
            foreach (var n in names)
            {
                var host = await HostOfAsync(hive, n);
                Assert.NotNull(host);
                placed[host!] = placed.GetValueOrDefault(host!) + 1;
            }
            Assert.Equal(Rig.Hosts.Select(h => h.ClusterName!).Order(), placed.Keys.Order());
            // Most free capacity first: equal hosts share the load evenly.
            Assert.All(placed.Values, c => Assert.InRange(c, 15, 25));
            var sb = await hive.GetSandboxAsync(names[^1]);
            Assert.Equal("ok\n", (await sb.ExecAsync("echo ok")).Stdout);
        }
        finally
        {
            using var gate = new SemaphoreSlim(8);
            await Task.WhenAll(names.Select(async n =>
            {
                await gate.WaitAsync();
                try { await hive.DeleteSandboxAsync(n); } catch (HiveException) { }
                finally { gate.Release(); }
            }));
        }
    }

    [Fact]
    public async Task Exec_files_events_terminal_url_secrets_and_apply_work_through_the_controller()
    {
        using var hive = Rig.Connect();
        var real = "cluster-real-" + Guid.NewGuid().ToString("N");
        var secret = SharedDaemon.NewName("ck");
        await hive.Secrets.CreateAsync(new SecretCreateOptions { Name = secret, Value = real, Hosts = ["api.example.test"], Auth = SecretAuth.Header("X-Key") });
        var sb = await hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("cl"), new SandboxConfig
        {
            Image = "hive/base",
            Secrets = new() { ["API_KEY"] = secret },
            Egress = [EgressRule.Allow("api.example.test")],
        });
        try
        {
            Assert.NotNull(await HostOfAsync(hive, sb.Name));

            // exec, streamed output through controller and host
            var frames = new List<string>();
            await foreach (var f in sb.ExecStreamAsync("for i in 1 2 3; do echo line$i; sleep 0.2; done"))
                if (f.Data is { } d) frames.Add(d);
            Assert.Equal("line1\nline2\nline3\n", string.Concat(frames));

            // files both ways
            await sb.Files.WriteAsync("/workspace/hello.txt", "from the controller\n");
            Assert.Equal("from the controller\n", (await sb.ExecAsync("cat /workspace/hello.txt")).Stdout);
            await sb.ExecAsync("mkdir -p /workspace/d && echo made > /workspace/d/inside");
            Assert.Equal("made\n", await sb.Files.ReadTextAsync("/workspace/d/inside"));
            Assert.Contains(await sb.Files.ListAsync("/workspace/d"), e => e.Name == "inside");

            // secrets: a stand-in inside, the real value only on the way to the allowed host
            var env = (await sb.ExecAsync("printenv API_KEY")).Stdout.Trim();
            Assert.NotEqual(real, env);
            Assert.NotEmpty(env);
            var echo = await sb.ExecAsync(new ExecRequest
            {
                Command = new ExecCommand(["bash", "-c", "curl -sS -H \"X-Key: $API_KEY\" https://api.example.test:$HTTPS/echo"]),
                Env = new() { ["HTTPS"] = Rig.Upstream.HttpsPort.ToString() },
            });
            Assert.Equal(0, echo.ExitCode);
            Assert.DoesNotContain(real, echo.Stdout);
            Assert.Equal(real, (string?)UpstreamDaemon.Json(echo.Stdout)["headers"]!["x-key"]);

            // events: the host's egress and file events reach the controller's log, without the secret
            await Eventually.TrueAsync(async () =>
            {
                var events = await sb.GetEventsAsync();
                return events.Any(e => e.Type == "egress.request") && events.Any(e => e.Type.StartsWith("fs.", StringComparison.Ordinal))
                    && events.Any(e => e.Type == "exec.response");
            }, TimeSpan.FromSeconds(20), () => "the host's events did not reach the controller");
            var all = await sb.GetEventsAsync();
            Assert.All(all, e => Assert.DoesNotContain(real, e.ToString()));
            Assert.Equal(all.Select(e => e.Id).Order(), all.Select(e => e.Id));

            // terminal
            await using (var t = await sb.OpenTerminalAsync(new TerminalOptions { Command = new ExecCommand("cat"), Rows = 24, Cols = 80 }))
            {
                var seen = new StringBuilder();
                var reading = Task.Run(async () =>
                {
                    await foreach (var chunk in t.ReadOutputAsync()) { lock (seen) seen.Append(Encoding.UTF8.GetString(chunk.Span)); }
                });
                await t.WriteAsync("typed-through-cluster\n");
                await Eventually.TrueAsync(() => { lock (seen) return Task.FromResult(seen.ToString().Contains("typed-through-cluster")); },
                    TimeSpan.FromSeconds(10), () => $"the terminal did not echo: {seen}");
            }

            // sandbox.url: hive/base's MCP server on 8080 inside, reached through the controller and the host
            using (var http = new HttpClient())
            {
                http.DefaultRequestHeaders.Authorization = new("Bearer", Rig.Controller.Token);
                var url = (await hive.GetSandboxAsync(sb.Name)).Info.Url;
                using var init = new HttpRequestMessage(HttpMethod.Post, url)
                {
                    Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"cluster-test","version":"1"}}}""",
                        Encoding.UTF8, "application/json"),
                };
                init.Headers.Accept.ParseAdd("application/json");
                init.Headers.Accept.ParseAdd("text/event-stream");
                using var answer = await http.SendAsync(init);
                var text = await answer.Content.ReadAsStringAsync();
                Assert.True(answer.IsSuccessStatusCode, $"{(int)answer.StatusCode} from {url}: {text}");
                Assert.Contains("serverInfo", text);
            }

            // applyConfig: a new egress rule put in force on the host
            var config = await sb.GetConfigAsync();
            config.Egress = [EgressRule.Allow("api.example.test"), EgressRule.Allow("other.example.test")];
            var applied = await sb.ApplyConfigAsync(config);
            Assert.True(applied.Applied);
            var other = await sb.ExecAsync(new ExecRequest
            {
                Command = new ExecCommand(["bash", "-c", "curl -sS -o /dev/null -w '%{http_code}' https://other.example.test:$HTTPS/echo"]),
                Env = new() { ["HTTPS"] = Rig.Upstream.HttpsPort.ToString() },
            });
            Assert.Equal("200", other.Stdout);
        }
        finally
        {
            await sb.DeleteAsync();
            await hive.Secrets.DeleteAsync(secret);
        }
    }

    [Fact]
    public async Task A_host_killed_with_sigkill_marks_its_sandboxes_lost_and_they_run_again_when_it_returns()
    {
        using var hive = Rig.Connect();
        var names = Enumerable.Range(0, 4).Select(i => SharedDaemon.NewName($"lost{i}")).ToList();
        foreach (var n in names) await hive.GetOrCreateSandboxAsync(n, SharedDaemon.Minimal());
        try
        {
            var victim = Rig.Hosts[1];
            var onVictim = new List<string>();
            foreach (var n in names) if (await HostOfAsync(hive, n) == victim.ClusterName) onVictim.Add(n);
            Assert.NotEmpty(onVictim);
            var before = (await hive.GetEventsAsync(limit: 10_000)).LastOrDefault()?.Id ?? 0;

            await victim.KillAsync();
            await Eventually.TrueAsync(async () =>
            {
                foreach (var n in onVictim) if ((await hive.GetSandboxAsync(n)).Info.Status != "lost") return false;
                return true;
            }, TimeSpan.FromSeconds(20), () => "the killed host's sandboxes did not become lost");
            Assert.Equal("lost", (await ClusterRig.HostStatusesAsync(Rig.Controller))[victim.ClusterName!]);
            var lostEvents = (await hive.GetEventsAsync(after: before, limit: 10_000)).Where(e => e.Type == "sandbox.lost").Select(e => e.Sandbox).ToList();
            Assert.Equal(onVictim.Order(), lostEvents.Order());
            // The other host's sandboxes are not touched.
            foreach (var n in names.Except(onVictim)) Assert.Equal("running", (await hive.GetSandboxAsync(n)).Info.Status);

            await victim.RestartAsync();
            await Eventually.TrueAsync(async () =>
            {
                foreach (var n in onVictim) if ((await hive.GetSandboxAsync(n)).Info.Status != "running") return false;
                return true;
            }, TimeSpan.FromSeconds(30), () => "the host's sandboxes did not come back as running");
            var back = await hive.GetSandboxAsync(onVictim[0]);
            Assert.Equal("back\n", (await back.ExecAsync("echo back")).Stdout);
        }
        finally
        {
            foreach (var n in names) try { await hive.DeleteSandboxAsync(n); } catch (HiveException) { }
        }
    }

    [Fact]
    public async Task A_controller_killed_mid_traffic_loses_no_stored_event_and_hosts_reconnect()
    {
        var hive = Rig.Connect();
        var sb = await hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("ck"), SharedDaemon.Minimal());
        try
        {
            // Traffic inside the sandbox (file events on its host) goes on while the controller dies and returns: a
            // detached loop, since an exec's own stream ends with the controller that carried it.
            await sb.ExecAsync("setsid sh -c 'for i in $(seq 1 150); do echo $i > /workspace/f$i; sleep 0.03; done' > /dev/null 2>&1 < /dev/null &");
            await Task.Delay(800);
            var stored = await sb.GetEventsAsync(limit: 10_000);
            Assert.NotEmpty(stored);
            await Rig.Controller.KillAsync();
            await Task.Delay(1500);
            await Rig.Controller.RestartAsync();
            hive.Dispose();
            hive = Rig.Connect();
            await Rig.WaitForHostsAsync(Rig.Hosts.Count);
            // Every file the loop wrote while the controller was away is an event once the outbox has pushed it.
            sb = await hive.GetSandboxAsync(sb.Name);
            await Eventually.TrueAsync(async () =>
                (await sb.GetEventsAsync(types: "fs.*", limit: 10_000)).Count(e => e.Type == "fs.request" && e.ToString().Contains("/workspace/f150")) >= 1,
                TimeSpan.FromSeconds(60), () => "the host's events from the outage did not reach the restarted controller: " +
                string.Join(" ", sb.GetEventsAsync(types: "fs.*", limit: 10_000).GetAwaiter().GetResult().TakeLast(6).Select(e => e.ToString())));
            var after = await sb.GetEventsAsync(limit: 10_000);
            Assert.Equal(stored.Select(e => e.Id), after.Take(stored.Count).Select(e => e.Id));
            Assert.Equal(after.Select(e => e.Id).Distinct().Count(), after.Count);
            Assert.Equal("still\n", (await sb.ExecAsync("echo still")).Stdout);
        }
        finally
        {
            try { await sb.DeleteAsync(); } catch (HiveException) { }
            hive.Dispose();
        }
    }

    [Fact]
    public async Task Two_controllers_on_one_database_serve_the_api_and_one_of_them_leads()
    {
        var second = await Rig.AddControllerAsync();
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                var leaders = 0;
                foreach (var c in Rig.Controllers) if ((bool?)(await ClusterRig.ClusterAsync(c))["leader"] == true) leaders++;
                return leaders == 1;
            }, TimeSpan.FromSeconds(20), () => "not exactly one leader");
            using var viaSecond = Rig.Connect(second);
            var sb = await viaSecond.GetOrCreateSandboxAsync(SharedDaemon.NewName("two"), SharedDaemon.Minimal());
            try
            {
                Assert.Equal("two\n", (await sb.ExecAsync("echo two")).Stdout);
                using var viaFirst = Rig.Connect();
                var seen = await viaFirst.GetSandboxAsync(sb.Name);
                Assert.Equal("running", seen.Info.Status);
                // Events written through one controller are read through the other.
                await Eventually.TrueAsync(async () => (await seen.GetEventsAsync()).Any(e => e.Type == "exec.response"), TimeSpan.FromSeconds(10),
                    () => "the first controller does not see the second's events");
            }
            finally
            {
                await sb.DeleteAsync();
            }
        }
        finally
        {
            await second.DisposeAsync();
            // ClusterRig keeps it in its list; a stopped process is disposed twice harmlessly.
        }
    }

    [Fact]
    public async Task A_host_with_a_certificate_from_another_ca_is_refused()
    {
        var rogue = Path.Combine(Path.GetTempPath(), $"hive-rogue-{Guid.NewGuid():N}"[..20]);
        try
        {
            await ClusterRig.Hive(["cluster", "ca", "--out", Path.Combine(rogue, "ca")]);
            await ClusterRig.Hive(["cluster", "cert", "--ca", Path.Combine(rogue, "ca"), "--role", "host", "--out", Path.Combine(rogue, "host")]);
            var name = $"rogue-{Guid.NewGuid():N}"[..12];
            await using var stranger = await Rig.AddHostAsync(name, certDir: Path.Combine(rogue, "host"), register: false);
            await Task.Delay(TimeSpan.FromSeconds(ClusterRig.HeartbeatSeconds * 4));
            Assert.DoesNotContain(name, (await ClusterRig.HostStatusesAsync(Rig.Controller)).Keys);

            // A controller's certificate presented to the controller's cluster port is refused too: the role is checked, not only the CA.
            using var cert = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
                Path.Combine(Rig.CertDir("controller"), "tls.crt"), Path.Combine(Rig.CertDir("controller"), "tls.key"));
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.ClientCertificates = [cert];
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // what is under test is the server's check of us
            using var http = new HttpClient(handler);
            var beat = new StringContent("""{ "advertise": "https://127.0.0.1:1", "capacity": 10, "labels": {}, "running": [], "version": "0", "boot": "x" }""",
                Encoding.UTF8, "application/json");
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.PutAsync($"https://127.0.0.1:{Rig.Controller.ClusterPort}/v1/cluster/hosts/impostor", beat));
            Assert.DoesNotContain("impostor", (await ClusterRig.HostStatusesAsync(Rig.Controller)).Keys);
        }
        finally
        {
            try { Directory.Delete(rogue, recursive: true); } catch (IOException) { }
        }
    }
}
