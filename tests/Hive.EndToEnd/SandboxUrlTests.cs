using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>sandbox.url (docs/api.md, docs/images.md): the daemon's reverse proxy to port 8080 inside a sandbox, and the exec.* events of MCP tool calls.</summary>
[Collection("ingress")]
public sealed class SandboxUrlTests(IngressDaemon fixture)
{
    private async Task<string> ImportHttpdAsync()
    {
        var dir = Directory.CreateTempSubdirectory("hive-httpd-").FullName;
        try
        {
            var name = $"test/httpd-{Guid.NewGuid():N}"[..20];
            var r = await Proc.RunAsync(Repo.Hive, ["image", "import", name, HttpdImage.Write(dir)], fixture.Daemon.Env);
            Assert.True(r.ExitCode == 0, $"hive image import failed: {r.Stderr}{r.Stdout}");
            return name;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_sandbox_from_an_imported_image_serves_http_on_8080_at_its_url_with_the_token_required_and_never_forwarded()
    {
        var image = await ImportHttpdAsync();
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("httpd"), new SandboxConfig { Image = image });
        try
        {
            Assert.Equal($"{fixture.Daemon.Url}/sandboxes/{sb.Name}/", sb.Url);
            using var http = fixture.Authorized();
            Assert.Equal(HttpdImage.Index, await http.GetStringAsync(sb.Url + "index.html"));

            using var anonymous = new HttpClient();
            var denied = await anonymous.GetAsync(sb.Url + "index.html");
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            Assert.Contains("bearer token", await denied.Content.ReadAsStringAsync());
            using var wrong = new HttpRequestMessage(HttpMethod.Get, sb.Url + "index.html");
            wrong.Headers.Authorization = new("Bearer", "not-the-token");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);

            // What the server inside received: the prefix stripped, the query kept, and no trace of the daemon's token.
            var env = await http.GetStringAsync(sb.Url + "cgi-bin/env?x=1&y=%2F");
            Assert.Contains("REQUEST_URI=/cgi-bin/env?x=1&y=%2F", env);
            Assert.Contains($"HTTP_X_FORWARDED_PREFIX=/sandboxes/{sb.Name}", env);
            Assert.DoesNotContain("HTTP_AUTHORIZATION", env);
            Assert.DoesNotContain(fixture.Daemon.Token, env);

            // The host may open connections into the sandbox; the sandbox still may not open any to the host.
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Any, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var open = await http.GetAsync(sb.Url + "index.html", HttpCompletionOption.ResponseHeadersRead);
            var probe = await sb.ExecAsync(["/bin/busybox", "sh", "-c",
                $"host=$(/bin/busybox awk '/nameserver/ {{print $2}}' /etc/resolv.conf); echo probe | /bin/busybox nc -w 2 $host {port}; " +
                $"echo probe | /bin/busybox nc -w 2 $host {fixture.Daemon.Port}; echo done"]);
            Assert.Contains("done", probe.Stdout);
            Assert.False(listener.Pending(), "a connection from the sandbox reached a host listener");
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Tool_calls_to_an_imported_images_own_server_answering_in_json_are_evented_too()
    {
        var image = await ImportHttpdAsync();
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("json"), new SandboxConfig { Image = image });
        try
        {
            using var http = fixture.Authorized();
            const string call = """{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"deploy","arguments":{"target":"prod"}}}""";
            using var r = await http.PostAsync(sb.Url + "cgi-bin/mcp", new StringContent(call, Encoding.UTF8, "application/json"));
            Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
            var events = await WaitForAsync(sb, e => e.Any(x => x.Type == "exec.response"));
            var request = Assert.Single(events, e => e.Type == "exec.request");
            Assert.Equal("deploy", request.Get<string>("tool"));
            Assert.Equal("prod", (string?)request["arguments"]?["target"]);
            var response = Assert.Single(events, e => e.Type == "exec.response");
            Assert.Equal(request.Id, response.Get<long>("requestId"));
            Assert.True(response.Get<bool>("isError"));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task A_stopped_sandbox_is_started_by_a_request_to_its_url()
    {
        var image = await ImportHttpdAsync();
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("ttl"), new SandboxConfig { Image = image, Ttl = 1 });
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await fixture.Hive.GetSandboxAsync(sb.Name)).Status != "stopped")
            {
                Assert.True(DateTime.UtcNow < deadline, "the sandbox did not expire");
                await Task.Delay(200);
            }
            using var http = fixture.Authorized();
            Assert.Equal(HttpdImage.Index, await http.GetStringAsync(sb.Url + "index.html"));
            Assert.Equal("running", (await fixture.Hive.GetSandboxAsync(sb.Name)).Status);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Nothing_listening_is_a_clear_502_and_an_unknown_sandbox_a_404()
    {
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("quiet"), new SandboxConfig { Image = "hive/minimal" });
        try
        {
            using var http = fixture.Authorized();
            var r = await http.GetAsync(sb.Url);
            Assert.Equal(HttpStatusCode.BadGateway, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            Assert.Contains("nothing is listening on port 8080", await r.Content.ReadAsStringAsync());

            var missing = await http.GetAsync($"{fixture.Daemon.Url}/sandboxes/no-such-sandbox/");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Contains("does not exist", await missing.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"{fixture.Daemon.Url}/sandboxes/-bad/")).StatusCode);
            Assert.Contains("/sandboxes/{name}/{path}", await http.GetStringAsync($"{fixture.Daemon.Url}/openapi/v1.json"));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Mcp_tool_calls_are_exec_events_with_secrets_redacted_and_an_abandoned_call_still_answered()
    {
        const string secret = "sk-live-0123456789abcdefXYZ";
        // A value from the vault, bound to the sandbox: its real value is redacted from tool-call events too.
        var name = SharedDaemon.NewName("mcp");
        var vaulted = "vk-" + Guid.NewGuid().ToString("N");
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(name,
            new SandboxConfig { Image = "hive/base", Env = new() { ["OPENAI_API_KEY"] = secret }, Secrets = new() { ["MCP_KEY"] = "mcp-key" } });
        try
        {
            await fixture.Hive.Secrets.CreateAsync(new SecretCreateOptions
                { Name = "mcp-key", Value = vaulted, Hosts = ["api.example.test"], Auth = SecretAuth.Header("X-Key"), Sandbox = name });
            using var http = fixture.Authorized();
            var mcp = await McpSession.StartAsync(http, sb.Url);
            var result = await mcp.CallAsync("bash", new JsonObject { ["command"] = $"echo -n {secret} | wc -c; exit 4" });
            Assert.Equal(4, (int?)result["result"]?["structuredContent"]?["exitCode"]);
            await mcp.CallAsync("write", new JsonObject { ["path"] = "/tmp/pasted", ["content"] = $"key={vaulted}\n" });
            await mcp.CallAsync("read", new JsonObject { ["path"] = "/etc/hostname" });

            // The client gives up on a long call: the daemon still closes the record.
            using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500)))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => mcp.CallAsync("bash", new JsonObject { ["command"] = "sleep 30" }, cts.Token));
            }

            var events = await WaitForAsync(sb, e => e.Count(x => x.Type == "exec.response") >= 4);
            var requests = events.Where(e => e.Type == "exec.request").ToList();
            var bash = requests.First(e => e.Get<string>("tool") == "bash");
            Assert.Equal("mcp", bash.Get<string>("source"));
            Assert.Equal(["bash", "-c", "echo -n *** | wc -c; exit 4"], bash.Get<List<string>>("command"));
            Assert.Equal("echo -n *** | wc -c; exit 4", (string?)bash["arguments"]?["command"]);
            Assert.All(events, e => Assert.DoesNotContain(secret, e.Data.ToJsonString()));
            Assert.All(events, e => Assert.DoesNotContain(vaulted, e.Data.ToJsonString()));
            Assert.Contains(requests, e => e.Get<string>("tool") == "write" && (string?)e["arguments"]?["content"] == "key=***\n");
            var bashResponse = events.Single(e => e.Type == "exec.response" && e.Get<long>("requestId") == bash.Id);
            Assert.Equal(4, bashResponse.Get<int>("exitCode"));
            Assert.False(bashResponse.Get<bool>("isError"));

            var read = requests.Single(e => e.Get<string>("tool") == "read");
            Assert.Equal(["read", "/etc/hostname"], read.Get<List<string>>("command"));
            Assert.Contains(events, e => e.Type == "exec.response" && e.Get<long>("requestId") == read.Id);

            var abandoned = requests.Single(e => (string?)e["arguments"]?["command"] == "sleep 30");
            var closed = events.Single(e => e.Type == "exec.response" && e.Get<long>("requestId") == abandoned.Id);
            Assert.True(closed.Get<bool>("isError"));
            Assert.NotNull(closed.Get<string>("error"));
        }
        finally
        {
            await fixture.Hive.Secrets.DeleteAsync("mcp-key", name);
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task The_mcp_server_runs_as_the_agent_and_comes_back_when_it_dies()
    {
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("respawn"), new SandboxConfig { Image = "hive/base" });
        try
        {
            using var http = fixture.Authorized();
            await McpSession.StartAsync(http, sb.Url);
            var ps = await sb.ExecAsync("ps -o user=,args= -C hive-mcp");
            Assert.StartsWith("agent ", ps.Stdout.Trim());
            Assert.Contains("/opt/hive/bin/hive-mcp --listen 0.0.0.0:8080 --cwd /workspace", ps.Stdout);
            Assert.Equal(0, (await sb.ExecAsync("pkill -x hive-mcp")).ExitCode);
            // The supervisor starts it again a second later; meanwhile sandbox.url answers 502.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            McpSession? again = null;
            while (again is null)
            {
                try
                {
                    again = await McpSession.StartAsync(http, sb.Url);
                }
                catch (Exception) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(250);
                }
            }
            var r = await again.CallAsync("bash", new JsonObject { ["command"] = "echo back" });
            Assert.Equal("back\n[exit code 0]", (string?)r["result"]?["content"]?[0]?["text"]);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    private static async Task<IReadOnlyList<SandboxEvent>> WaitForAsync(Sandbox sb, Func<IReadOnlyList<SandboxEvent>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var events = await sb.GetEventsAsync(types: "exec.*");
            if (done(events) || DateTime.UtcNow > deadline) return events;
            await Task.Delay(100);
        }
    }

    /// <summary>A minimal MCP client over streamable HTTP (the TypeScript SDK's tests use the official one).</summary>
    private sealed class McpSession(HttpClient http, string url, string sessionId)
    {
        private int _nextId = 1;

        public static async Task<McpSession> StartAsync(HttpClient http, string url)
        {
            var init = await PostAsync(http, url, null, new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = 0, ["method"] = "initialize",
                ["params"] = new JsonObject
                {
                    ["protocolVersion"] = "2025-06-18", ["capabilities"] = new JsonObject(),
                    ["clientInfo"] = new JsonObject { ["name"] = "e2e", ["version"] = "1" },
                },
            }, default);
            var session = init.Headers.GetValues("Mcp-Session-Id").Single();
            await PostAsync(http, url, session, new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" }, default);
            return new McpSession(http, url, session);
        }

        public async Task<JsonObject> CallAsync(string tool, JsonObject args, CancellationToken ct = default)
        {
            var id = _nextId++;
            using var r = await PostAsync(http, url, sessionId, new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call",
                ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = args },
            }, ct);
            var body = await r.Content.ReadAsStringAsync(ct);
            foreach (var line in body.Split('\n'))
                if (line.StartsWith("data: ", StringComparison.Ordinal) && JsonNode.Parse(line[6..]) is JsonObject o && (int?)o["id"] == id) return o;
            throw new InvalidOperationException($"no response to call {id}: {body}");
        }

        private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string url, string? session, JsonObject message, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json") };
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (session is not null) request.Headers.Add("Mcp-Session-Id", session);
            var r = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            Assert.True(r.IsSuccessStatusCode, $"{message["method"]}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(ct)}");
            return r;
        }
    }
}
