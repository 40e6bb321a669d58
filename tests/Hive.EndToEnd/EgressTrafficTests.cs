using System.Diagnostics;
using HiveClient;
using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>What allowed traffic must do: overrides, HTTP/2, streaming, WebSockets, large bodies, live rule changes, real clients.</summary>
[Collection("egress")]
public sealed class EgressTrafficTests(EgressDaemon fx)
{
    [Fact]
    public async Task Override_is_applied_upstream_and_redacted_everywhere_else()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test", "override": { "headers": { "X-Api-Key": "sekrit-header-123" }, "query": { "key": "sekrit-query-456" } } }]""");
        var before = await fx.LastEventIdAsync();
        var r = await fx.ShAsync("curl -sS -m 10 -H 'X-Api-Key: agent-guess' \"https://api.example.test:$HTTPS/echo?key=agent&x=1\"");
        var echo = EgressDaemon.Json(r.Stdout);
        Assert.Equal("sekrit-header-123", (string?)echo["headers"]!["x-api-key"]);
        Assert.Contains("key=sekrit-query-456", (string?)echo["query"]);
        Assert.Contains("x=1", (string?)echo["query"]);
        Assert.DoesNotContain("agent", (string?)echo["query"]);
        Assert.Null(echo["headers"]!["via"]);

        var events = string.Join("\n", (await fx.EventsAfterAsync(before)).Select(e => e.ToString()));
        Assert.Contains("egress.request", events);
        Assert.DoesNotContain("sekrit", events);
        var config = (await fx.Sandbox.GetConfigAsync()).ToJson();
        Assert.DoesNotContain("sekrit", config);
        Assert.Contains("***", config);
    }

    [Fact]
    public async Task The_proxy_adds_no_trace_context_and_passes_the_sandboxs_own_unchanged()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        foreach (var http in new[] { "--http1.1", "--http2" })
        {
            var plain = EgressDaemon.Json((await fx.ShAsync($"curl -sS -m 10 {http} https://api.example.test:$HTTPS/echo")).Stdout);
            Assert.Equal($"api.example.test:{fx.Upstream.HttpsPort}", (string?)plain["headers"]!["host"]); // the connection's authority
            Assert.Null(plain["headers"]!["traceparent"]);
            Assert.Null(plain["headers"]!["tracestate"]);
            Assert.Null(plain["headers"]!["request-id"]);

            const string own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
            var traced = EgressDaemon.Json((await fx.ShAsync($"curl -sS -m 10 {http} -H 'traceparent: {own}' https://api.example.test:$HTTPS/echo")).Stdout);
            Assert.Equal(own, (string?)traced["headers"]!["traceparent"]);
        }
    }

    [Fact]
    public async Task Http2_websocket_and_python_urllib_work_through_the_proxy()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        var h2 = await fx.ShAsync("curl -sS -m 10 --http2 -o /dev/null -w '%{http_version}' https://api.example.test:$HTTPS/echo");
        Assert.Equal("2", h2.Stdout);
        var py = await fx.ShAsync("""python3 -c "import urllib.request,os; print(urllib.request.urlopen('https://api.example.test:%s/echo/py' % os.environ['HTTPS']).read().decode())" """);
        Assert.Contains("/echo/py", py.Stdout);
        // A WebSocket echo, spoken by hand: upgrade, one masked text frame, read the echo.
        var ws = await fx.ShAsync("""
            python3 - <<'PY'
            import socket, ssl, os, base64
            s = ssl.create_default_context().wrap_socket(socket.create_connection(("api.example.test", int(os.environ["HTTPS"]))), server_hostname="api.example.test")
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall(("GET /ws HTTP/1.1\r\nHost: api.example.test:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (os.environ["HTTPS"], key)).encode())
            head = b""
            while b"\r\n\r\n" not in head: head += s.recv(1)
            print(head.split(b"\r\n")[0].decode())
            payload = b"ping-through-hive"; mask = os.urandom(4)
            s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
            frame = s.recv(2 + len(payload))
            print(frame[2:].decode())
            PY
            """);
        Assert.Contains("101", ws.Stdout);
        Assert.Contains("ping-through-hive", ws.Stdout);
    }

    [Fact]
    public async Task Server_sent_events_arrive_as_they_are_sent()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        var r = await fx.ShAsync("""
            python3 - <<'PY'
            import urllib.request, os, time
            start = time.time()
            with urllib.request.urlopen("https://api.example.test:%s/sse" % os.environ["HTTPS"]) as resp:
                for line in resp:
                    if line.startswith(b"data:"): print("%.2f %s" % (time.time() - start, line.decode().strip()))
            PY
            """);
        var times = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(4, times.Count);
        // Four tokens 0.4 s apart: buffered, they would all arrive together at the end.
        Assert.True(times[^1] - times[0] >= 0.9, $"tokens arrived in a burst: {r.Stdout}");
    }

    [Fact]
    public async Task A_100_MB_upload_and_download_stream_through()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        var up = await fx.ShAsync("head -c 104857600 /dev/zero | curl -sS -m 120 --data-binary @- -H 'Content-Type: application/octet-stream' https://api.example.test:$HTTPS/upload", 180_000);
        Assert.Contains("\"bytes\":104857600", up.Stdout);
        var down = await fx.ShAsync("curl -sS -m 120 https://api.example.test:$HTTPS/bytes?n=104857600 | wc -c", 180_000);
        Assert.Equal("104857600", down.Stdout.Trim());
    }

    [Fact]
    public async Task A_rule_change_applies_to_the_next_request()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        Assert.Equal("200", (await fx.ShAsync("curl -sS -m 10 -o /dev/null -w '%{http_code}' https://api.example.test:$HTTPS/echo")).Stdout);
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test", "methods": ["POST"] }]""");
        Assert.Equal("403", (await fx.ShAsync("curl -sS -m 10 -o /dev/null -w '%{http_code}' https://api.example.test:$HTTPS/echo")).Stdout);
        // Keep-alive: the second request on the same connection meets the new rules too.
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test", "paths": ["/echo/a"] }]""");
        var both = await fx.ShAsync("curl -sS -m 10 -o /dev/null -o /dev/null -w '%{http_code} ' https://api.example.test:$HTTPS/echo/a https://api.example.test:$HTTPS/echo/b");
        Assert.Equal("200 403", both.Stdout.Trim());
    }

    [Fact]
    public async Task Git_over_https_trusts_the_proxy_without_flags()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        var before = await fx.LastEventIdAsync();
        var git = await fx.ShAsync("git ls-remote https://api.example.test:$HTTPS/repo.git 2>&1; true");
        Assert.DoesNotContain("certificate", git.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(await fx.EventsAfterAsync(before, "egress.request"),
            e => e.Get<string>("path") == "/repo.git/info/refs" && e.Get<string>("access") == "allowed");
    }

    [Fact]
    public async Task Model_calls_are_recorded_as_llm_call_with_model_and_tokens()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.anthropic.com" }, { "access": "allow", "host": "api.openai.com" }]""");
        var before = await fx.LastEventIdAsync();
        var r = await fx.ShAsync("""
            curl -sS -m 10 https://api.anthropic.com:$HTTPS/v1/messages -H 'content-type: application/json' -d '{"model":"claude-test","max_tokens":5,"messages":[]}' -o /dev/null -w '%{http_code} '
            curl -sS -m 10 -N https://api.anthropic.com:$HTTPS/v1/messages -H 'content-type: application/json' -d '{"model":"claude-test","stream":true,"messages":[]}' | grep -c '^data:'
            curl -sS -m 10 https://api.openai.com:$HTTPS/v1/chat/completions -d '{}' -o /dev/null -w '%{http_code}'
            """);
        Assert.Equal("200 5\n200", r.Stdout.Trim());
        // Recorded when each response has ended, which can be a moment after curl has its last byte.
        var calls = await fx.EventsAfterAsync(before, "llm.call");
        for (var i = 0; i < 50 && calls.Count < 3; i++) { await Task.Delay(100); calls = await fx.EventsAfterAsync(before, "llm.call"); }
        Assert.Equal(3, calls.Count);
        Assert.Equal(("anthropic", "claude-test", 21L, 4L, false), Summary(calls[0]));
        Assert.Equal(("anthropic", "claude-test", 33L, 7L, true), Summary(calls[1]));
        Assert.Equal(("openai", "gpt-test-1", 12L, 5L, false), Summary(calls[2]));
        Assert.All(calls, c => Assert.Equal(200, c.Get<int>("status")));
        // An ordinary request to the same host is not a model call.
        await fx.ShAsync("curl -sS -m 10 -o /dev/null https://api.anthropic.com:$HTTPS/v1/models");
        Assert.Equal(3, (await fx.EventsAfterAsync(before, "llm.call")).Count);
    }

    [Fact]
    public async Task Model_call_bodies_are_kept_apart_from_the_event_bounded_and_with_override_values_redacted()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.anthropic.com", "override": { "headers": { "X-Org": "sekrit-org-778899" } } }]""");
        var before = await fx.LastEventIdAsync();
        var r = await fx.ShAsync("""
            curl -sS -m 10 -N https://api.anthropic.com:$HTTPS/v1/messages -H 'content-type: application/json' -d '{"model":"claude-test","stream":true,"messages":[{"role":"user","content":"say sekrit-org-778899"}]}' -o /dev/null
            python3 -c 'import json,sys; sys.stdout.write(json.dumps({"model":"claude-test","max_tokens":5,"messages":[{"role":"user","content":"x"*1600000}]}))' > /tmp/big.json
            curl -sS -m 30 https://api.anthropic.com:$HTTPS/v1/messages -H 'content-type: application/json' --data-binary @/tmp/big.json -o /dev/null -w '%{http_code}'
            """);
        Assert.Equal("200", r.Stdout.Trim());
        var calls = await fx.EventsAfterAsync(before, "llm.call");
        for (var i = 0; i < 50 && calls.Count < 2; i++) { await Task.Delay(100); calls = await fx.EventsAfterAsync(before, "llm.call"); }
        Assert.Equal(2, calls.Count);

        var streamed = await fx.LlmCallAsync(calls[0].Id);
        Assert.Equal(calls[0].Id, (long)streamed["call"]!["id"]!);
        Assert.Equal(calls[0].Get<long>("requestId"), (long)streamed["call"]!["requestId"]!);
        var request = (string)streamed["request"]!["body"]!;
        Assert.Contains("\"say ***\"", request); // the override's value, even when the agent writes it itself
        Assert.Equal("application/json", (string?)streamed["request"]!["contentType"]);
        Assert.StartsWith("text/event-stream", (string?)streamed["response"]!["contentType"]);
        Assert.Contains("\"text\":\"Hel\"", (string)streamed["response"]!["body"]!);
        Assert.Contains("message_stop", (string)streamed["response"]!["body"]!);
        Assert.False((bool)streamed["response"]!["truncated"]!);

        // 1.6 MB sent: 1 MiB of it kept and the cut flagged; the whole size counted; the event itself stays small.
        var big = await fx.LlmCallAsync(calls[1].Id);
        Assert.True((bool)big["request"]!["truncated"]!);
        Assert.True((long)big["request"]!["bytes"]! > 1_600_000);
        Assert.Equal(1024 * 1024, System.Text.Encoding.UTF8.GetByteCount((string)big["request"]!["body"]!));
        Assert.False((bool)big["response"]!["truncated"]!);
        Assert.True(calls[1].ToString().Length < 1000, calls[1].ToString());

        // Another sandbox's path, or an event that is not an llm.call: not found.
        var other = await Assert.ThrowsAsync<HttpRequestException>(() => fx.LlmCallAsync(calls[0].Id, "no-such-sandbox"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, other.StatusCode);
        var notCall = await Assert.ThrowsAsync<HttpRequestException>(() => fx.LlmCallAsync(calls[0].Get<long>("requestId")));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, notCall.StatusCode);
        // (The store's copy of the sandbox config holds the override value by design: it is what the proxy applies.)
        Assert.DoesNotContain("sekrit-org-778899", streamed.ToJsonString());
    }

    private static (string?, string?, long, long, bool) Summary(SandboxEvent e) =>
        (e.Get<string>("provider"), e.Get<string>("model"), e.Get<long>("inputTokens"), e.Get<long>("outputTokens"), e.Get<bool>("stream"));
}
