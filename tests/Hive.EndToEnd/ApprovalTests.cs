using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using HiveClient;
using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>
/// Asking a person (docs/egress.md): a real sandbox's curl is held by the proxy with nothing sent upstream, and goes on
/// or is refused as someone answers through the API, the SDK or the CLI.
/// </summary>
[Collection("approvals")]
public sealed class ApprovalTests(ApprovalDaemon fx)
{
    private const string Ask = """[{ "access": "ask", "host": "api.example.test" }]""";

    private static string Marker(string what) => $"{what}-{Guid.NewGuid():N}";

    private Task<ExecResult> Curl(string path, Sandbox? sandbox = null, string extra = "") =>
        fx.ShInAsync(sandbox ?? fx.Sandbox, $"curl -sS -m 60 {extra} -w '\\n%{{http_code}}' https://api.example.test:$HTTPS{path}", 90_000);

    private static string Status(ExecResult r) => r.Stdout.TrimEnd().Split('\n')[^1];

    [Fact]
    public async Task A_held_request_waits_with_nothing_upstream_then_passes_once_and_the_next_one_asks_again()
    {
        await fx.RulesAsync(Ask);
        var before = await fx.LastEventIdAsync();
        var marker = Marker("once");
        var curl = Curl($"/echo/{marker}");
        var held = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/{marker}"))[0];
        Assert.Equal("GET", held.Method);
        Assert.Equal("https", held.Kind);
        Assert.Equal(0, held.Rule);
        Assert.Equal(fx.Sandbox.Name, held.Sandbox);
        await Task.Delay(500);
        Assert.False(curl.IsCompleted);
        Assert.False(ApprovalDaemon.ReachedUpstream(marker));

        var answer = await held.AllowAsync();
        Assert.Equal("allow", (string?)answer["decision"]);
        var r = await curl;
        Assert.Equal("200", Status(r));
        Assert.True(ApprovalDaemon.ReachedUpstream(marker));

        var events = await fx.EventsAsync(before, "egress.approval,egress.approval.decided,egress.request");
        var asked = Assert.Single(events, e => e.Type == "egress.approval");
        Assert.Equal(held.Id, ApprovalDaemon.Str(asked, "approval"));
        Assert.NotNull(asked["expiresAt"]);
        var decided = Assert.Single(events, e => e.Type == "egress.approval.decided");
        Assert.Equal("allow", ApprovalDaemon.Str(decided, "decision"));
        Assert.Equal("token", ApprovalDaemon.Str(decided, "by"));
        Assert.Equal("once", ApprovalDaemon.Str(decided, "scope"));
        Assert.Contains(events, e => e.Type == "egress.request" && ApprovalDaemon.Str(e, "access") == "allowed" && ApprovalDaemon.Str(e, "path") == $"/echo/{marker}");

        // Once means once: the same request asks again.
        var again = Curl($"/echo/{marker}");
        var second = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/{marker}"))[0];
        Assert.NotEqual(held.Id, second.Id);
        await second.DenyAsync();
        Assert.Equal("403", Status(await again));
    }

    [Fact]
    public async Task Allowed_for_the_sandbox_adds_an_allow_rule_before_the_ask_rule_and_the_next_request_passes_without_asking()
    {
        await fx.RulesAsync("""[{ "access": "deny", "host": "deny.example.test" }, { "access": "ask", "host": "api.example.test" }]""");
        var before = await fx.LastEventIdAsync();
        var marker = Marker("wide");
        var curl = Curl($"/echo/{marker}");
        var held = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/{marker}"))[0];
        var answer = await held.AllowAsync(sandboxWide: true);
        Assert.Equal(1, (int?)answer["ruleIndex"]);
        Assert.Equal("200", Status(await curl));

        var config = await fx.Sandbox.GetConfigAsync();
        Assert.Equal(3, config.Egress!.Count);
        Assert.Equal("deny", config.Egress[0].Access);
        Assert.Equal("allow", config.Egress[1].Access);
        Assert.Equal("api.example.test", config.Egress[1].Host);
        Assert.Equal([fx.Upstream.HttpsPort], config.Egress[1].Ports!);
        Assert.Equal("ask", config.Egress[2].Access);
        var applied = await fx.EventsAsync(before, "config.apply");
        Assert.Contains(applied, e => e.Sandbox == fx.Sandbox.Name && e["success"]?.GetValue<bool>() == true);

        var next = await Curl($"/echo/{Marker("after")}");
        Assert.Equal("200", Status(next));
        Assert.Empty(await fx.Hive.GetApprovalsAsync(fx.Sandbox.Name));
    }

    [Fact]
    public async Task Denied_is_a_403_that_says_a_person_refused_and_deny_for_the_sandbox_adds_a_deny_rule()
    {
        await fx.RulesAsync(Ask);
        var marker = Marker("deny");
        var curl = Curl($"/echo/{marker}");
        var held = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/{marker}"))[0];
        await held.DenyAsync();
        var r = await curl;
        Assert.Equal("403", Status(r));
        Assert.Contains("a person (token) denied it", r.Stdout);
        Assert.False(ApprovalDaemon.ReachedUpstream(marker));

        var curl2 = Curl($"/echo/{marker}");
        var held2 = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/{marker}"))[0];
        await held2.DenyAsync(sandboxWide: true, paths: ["/echo/**"]);
        Assert.Equal("403", Status(await curl2));
        var config = await fx.Sandbox.GetConfigAsync();
        Assert.Equal("deny", config.Egress![0].Access);
        Assert.Equal(["/echo/**"], config.Egress[0].Paths!);
        // Denied by the rule now, at once; other paths still ask.
        Assert.Equal("403", Status(await Curl($"/echo/{Marker("x")}")));
    }

    [Fact]
    public async Task Nobody_answering_times_out_with_a_403_that_explains_how_to_allow_it_and_an_event()
    {
        await fx.RulesAsync(Ask, askTimeout: 2);
        var before = await fx.LastEventIdAsync();
        var marker = Marker("timeout");
        var r = await Curl($"/echo/{marker}");
        Assert.Equal("403", Status(r));
        Assert.Contains("waiting for a person's approval", r.Stdout);
        Assert.Contains("nobody decided within 2 s", r.Stdout);
        Assert.Contains("hive approve", r.Stdout);
        Assert.Contains("\"access\": \"allow\"", r.Stdout);
        Assert.False(ApprovalDaemon.ReachedUpstream(marker));
        var decided = Assert.Single(await fx.EventsAsync(before, "egress.approval.decided"));
        Assert.Equal("timeout", ApprovalDaemon.Str(decided, "decision"));
        Assert.Null(decided["by"]);
    }

    [Fact]
    public async Task An_approval_narrowed_by_path_with_the_cli_allows_those_paths_only()
    {
        await fx.RulesAsync(Ask);
        var marker = Marker("narrow");
        var curl = Curl($"/echo/ok/{marker}");
        var held = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/ok/{marker}"))[0];

        // A narrowed rule that would not match the held request cannot answer it.
        var wrong = await Assert.ThrowsAnyAsync<HiveException>(() => held.AllowAsync(sandboxWide: true, paths: ["/other/**"]));
        Assert.Equal(422, wrong.Status);

        var cli = await Proc.RunAsync(Repo.Hive, ["approve", held.Id, "--sandbox-wide", "--path", "/echo/ok/**"], fx.Daemon.Env);
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Contains($"Allowed {held.Id}", cli.Stdout);
        Assert.Equal("200", Status(await curl));

        Assert.Equal("200", Status(await Curl($"/echo/ok/{Marker("more")}")));
        var other = Marker("other");
        var otherCurl = Curl($"/echo/no/{other}");
        var otherHeld = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/no/{other}"))[0];
        var deny = await Proc.RunAsync(Repo.Hive, ["deny", otherHeld.Id], fx.Daemon.Env);
        Assert.True(deny.ExitCode == 0, deny.Stderr);
        Assert.Equal("403", Status(await otherCurl));
    }

    [Fact]
    public async Task A_raw_tcp_flow_is_held_by_host_and_port_with_no_connection_upstream_then_tunnelled()
    {
        await using var echo = new RawEchoServer();
        await fx.RulesAsync($$"""[{ "access": "ask", "host": "api.example.test", "ports": [{{echo.Port}}] }]""");
        var client = fx.ShAsync($$"""
            python3 - <<'PY'
            import socket
            s = socket.create_connection(("api.example.test", {{echo.Port}}), timeout=60)
            s.sendall(b"\x00\x01raw-bytes\n")
            print(s.recv(100)[2:].decode().strip())
            PY
            """, 90_000);
        var held = (await fx.WaitForHeldAsync(a => a.Port == echo.Port))[0];
        Assert.Equal("TCP", held.Method);
        Assert.Equal("tcp", held.Kind);
        Assert.Null(held.Path);
        await Task.Delay(300);
        Assert.Equal(0, echo.Accepted);

        var narrowed = await Assert.ThrowsAnyAsync<HiveException>(() => held.AllowAsync(sandboxWide: true, paths: ["/x"]));
        Assert.Equal(400, narrowed.Status);
        await held.AllowAsync();
        var r = await client;
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("RAW-BYTES", r.Stdout.Trim());
        Assert.Equal(1, echo.Accepted);
    }

    [Fact]
    public async Task A_hundred_held_requests_across_two_sandboxes_are_answered_in_any_order_while_other_traffic_flows()
    {
        var second = await fx.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("ask2"), new SandboxConfig { Image = "hive/base" });
        try
        {
            const string rules = """[{ "access": "allow", "host": "other.example.test" }]""";
            await fx.RulesAsync(rules, egressDefault: "ask");
            await fx.RulesAsync(rules, egressDefault: "ask", sandbox: second);
            var marker = Marker("many");
            string Loop() => $"for i in $(seq 1 50); do (curl -sS -m 90 -o /dev/null -w \"$i %{{http_code}}\\n\" http://api.example.test:$HTTP/echo/{marker}/$i >> /tmp/{marker}) & done; wait; sort -n /tmp/{marker}";
            var first = fx.ShInAsync(fx.Sandbox, Loop(), 120_000);
            var other = fx.ShInAsync(second, Loop(), 120_000);
            var held = await fx.WaitForHeldAsync(a => a.Path?.Contains(marker) == true, 100, timeoutSeconds: 90);
            Assert.Equal(2, held.Select(a => a.Sandbox).Distinct().Count());

            // While 100 wait, an allowed request goes through at once.
            var started = DateTime.UtcNow;
            var quick = await fx.ShInAsync(fx.Sandbox, "curl -sS -m 10 -o /dev/null -w '%{http_code}' https://other.example.test:$HTTPS/echo/quick");
            Assert.Equal("200", quick.Stdout);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), $"an allowed request took {DateTime.UtcNow - started} while 100 were held");

            // Even numbers allowed, odd denied, in a shuffled order.
            var answers = held.OrderBy(_ => Random.Shared.Next()).Select(a =>
                int.Parse(a.Path!.Split('/')[^1]) % 2 == 0 ? a.AllowAsync() : a.DenyAsync());
            await Task.WhenAll(answers);
            foreach (var result in new[] { await first, await other })
            {
                var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(50, lines.Length);
                foreach (var line in lines)
                {
                    var parts = line.Split(' ');
                    Assert.Equal(int.Parse(parts[0]) % 2 == 0 ? "200" : "403", parts[1]);
                }
            }
            Assert.DoesNotContain(await fx.Hive.GetApprovalsAsync(), a => a.Path?.Contains(marker) == true);
        }
        finally
        {
            await second.DeleteAsync();
        }
    }

    [Fact]
    public async Task Identical_requests_waiting_together_share_one_approval_and_its_answer()
    {
        await fx.RulesAsync(Ask);
        var marker = Marker("same");
        var r = fx.ShAsync($"for i in 1 2 3; do (curl -sS -m 60 -o /dev/null -w '%{{http_code}}\\n' https://api.example.test:$HTTPS/echo/{marker} >> /tmp/{marker}) & done; wait; cat /tmp/{marker}", 90_000);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Approval held;
        while (true)
        {
            held = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/{marker}"))[0];
            if ((int?)held.Data["waiters"] == 3 || DateTime.UtcNow > deadline) break;
            await Task.Delay(100);
        }
        Assert.Equal(3, (int?)held.Data["waiters"]);
        Assert.Single(await fx.Hive.GetApprovalsAsync(fx.Sandbox.Name), a => a.Path == $"/echo/{marker}");
        await held.AllowAsync();
        Assert.Equal(["200", "200", "200"], (await r).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Deleting_a_sandbox_fails_its_held_requests()
    {
        var doomed = await fx.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("askdel"), new SandboxConfig { Image = "hive/base" });
        await fx.RulesAsync(Ask, sandbox: doomed);
        var before = await fx.LastEventIdAsync();
        var marker = Marker("deleted");
        var curl = Curl($"/echo/{marker}", doomed);
        var held = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/{marker}"))[0];
        await doomed.DeleteAsync();
        try { await curl; } catch (HiveException) { } // the exec ends with its sandbox
        var decided = Assert.Single(await fx.EventsAsync(before, "egress.approval.decided"), e => ApprovalDaemon.Str(e, "approval") == held.Id);
        Assert.Equal("failed", ApprovalDaemon.Str(decided, "decision"));
        Assert.DoesNotContain(await fx.Hive.GetApprovalsAsync(), a => a.Id == held.Id);
        var late = await Assert.ThrowsAnyAsync<HiveException>(() => held.AllowAsync());
        Assert.Equal(409, late.Status);
        Assert.False(ApprovalDaemon.ReachedUpstream(marker));
    }

    [Fact]
    public async Task The_api_refuses_without_auth_bad_ids_unknown_ids_bad_decisions_and_a_second_decision()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fx.Daemon.Url) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/approvals")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/v1/approvals/apr_0000000000000000", Json("""{"decision":"allow"}"""))).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fx.Daemon.Token);

        var bad = await http.PostAsync("/v1/approvals/nope", Json("""{"decision":"allow"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("apr_", await bad.Content.ReadAsStringAsync());
        var unknown = await http.PostAsync("/v1/approvals/apr_0123456789abcdef", Json("""{"decision":"allow"}"""));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        await fx.RulesAsync(Ask);
        var marker = Marker("api");
        var curl = Curl($"/echo/{marker}");
        var held = (await fx.WaitForHeldAsync(a => a.Path == $"/echo/{marker}"))[0];
        foreach (var (body, field) in new[]
                 {
                     ("""{"decision":"maybe"}""", "decision"), ("""{}""", "decision"), ("""{"decision":"allow","scope":"forever"}""", "scope"),
                     ("""{"decision":"allow","rule":{"paths":["/x"]}}""", "rule"), ("""{"decision":"allow","scope":"sandbox","rule":{"paths":["no-slash"]}}""", "rule.paths[0]"),
                     ("""{"decision":"allow","color":"red"}""", "color"),
                 })
        {
            var r = await http.PostAsync($"/v1/approvals/{held.Id}", Json(body));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var problem = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            Assert.Contains(problem["errors"]!.AsArray(), e => (string?)e!["path"] == field);
        }
        Assert.False(curl.IsCompleted); // bad answers changed nothing

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/v1/approvals/{held.Id}", Json("""{"decision":"deny"}"""))).StatusCode);
        var twice = await http.PostAsync($"/v1/approvals/{held.Id}", Json("""{"decision":"allow"}"""));
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Contains("deny by token", await twice.Content.ReadAsStringAsync());
        Assert.Equal("403", Status(await curl));
    }

    [Fact]
    public async Task The_sdk_follows_held_requests_as_they_arrive()
    {
        await fx.RulesAsync(Ask);
        var marker = Marker("follow");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var answered = Task.Run(async () =>
        {
            await foreach (var a in fx.Hive.Approvals(fx.Sandbox.Name, cts.Token))
                if (a.Path == $"/echo/{marker}")
                {
                    await a.AllowAsync();
                    return a.Id;
                }
            return null;
        });
        var r = await Curl($"/echo/{marker}");
        Assert.Equal("200", Status(r));
        Assert.StartsWith("apr_", await answered);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}

/// <summary>A daemon stopped while requests wait fails them closed: nothing held is forwarded by the next daemon.</summary>
[Collection("approvals-restart")]
public sealed class ApprovalRestartTests(ApprovalRestartDaemon fx)
{
    [Fact]
    public async Task A_daemon_restart_fails_held_requests_closed_and_never_forwards_them()
    {
        var marker = $"restart-{Guid.NewGuid():N}";
        var curl = fx.ShAsync($"curl -sS -m 120 https://api.example.test:$HTTPS/echo/{marker}", 150_000);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await fx.Hive.GetApprovalsAsync()).Any(a => a.Path == $"/echo/{marker}"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the request was never held");
            await Task.Delay(100);
        }
        await fx.Daemon.StopAsync();
        try { await curl; } catch (Exception e) when (e is HiveException or IOException or HttpRequestException) { }
        await fx.Daemon.RestartAsync();

        Assert.Empty(await fx.Hive.GetApprovalsAsync());
        var events = await fx.Hive.GetEventsAsync(types: "egress.approval.decided", limit: 10_000);
        var failed = Assert.Single(events, e => (string?)e["path"] == $"/echo/{marker}");
        Assert.Equal("failed", (string?)failed["decision"]);
        Assert.Contains("stopping", (string?)failed["reason"]);
        await Task.Delay(1000);
        Assert.False(ApprovalDaemon.ReachedUpstream(marker));
    }
}
