using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>
/// Bypasses of the egress rules from raw sockets inside a sandbox (issue 11, defects 2, 3, 5, 8): each case is one line:
/// the rules, the case the python client plays, and how the first status line must begin (<c>error</c>: the proxy
/// refused the flow before any HTTP answer).
/// </summary>
[Collection("egress")]
public sealed class EgressBypassTests(EgressDaemon fx)
{
    private const string DenyAdmin = """[{ "access": "deny", "host": "api.example.test", "paths": ["/echo/admin/**"] }, { "access": "allow", "host": "api.example.test" }]""";
    private const string ApiHostOnly = """[{ "access": "allow", "host": "api.example.test" }]""";
    private const string DenyLoopback = """[{ "access": "deny", "host": "127.0.0.0/8" }, { "access": "allow", "host": "api.example.test" }]""";

    /// <summary>
    /// One function per case: it opens a raw socket to api.example.test and returns the first line the proxy answered
    /// (or "error …" when the flow was refused). Every request asks for a denied path or a host the rules do not allow.
    /// </summary>
    private const string Client = """
        import socket, ssl, os, sys, time
        HTTP, HTTPS, DAEMON = int(os.environ["HTTP"]), int(os.environ["HTTPS"]), int(os.environ["DAEMON"])
        NAME = "api.example.test"
        def req(method, path, host, port):
            return b"%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (method.encode(), path.encode(), host.encode(), port)
        def first_line(s):
            data = b""
            try:
                while b"\r\n" not in data:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
            except (OSError, ssl.SSLError) as e:
                return "error " + str(e)
            return data.split(b"\r\n")[0].decode(errors="replace") if data else "error closed"
        def plain(raw, port=HTTP, wait=0):
            s = socket.create_connection((NAME, port), timeout=10)
            if wait: time.sleep(wait)
            s.sendall(raw)
            return first_line(s)
        def tls(raw, sni=NAME, alpn=None, wait=0):
            s = socket.create_connection((NAME, HTTPS), timeout=10)
            if wait: time.sleep(wait)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            if alpn: ctx.set_alpn_protocols(alpn)
            try:
                t = ctx.wrap_socket(s, server_hostname=sni)
                t.sendall(raw)
                return first_line(t)
            except (OSError, ssl.SSLError) as e:
                return "error " + str(e)
        cases = {
            "alpn-imap-then-http": lambda: tls(req("GET", "/echo/admin/x", NAME, HTTPS), alpn=["imap"]),
            "alpn-none-then-http": lambda: tls(req("GET", "/echo/admin/x", NAME, HTTPS)),
            "silence-then-tls-other-sni": lambda: tls(req("GET", "/echo/fronted", "other.example.test", HTTPS), sni="other.example.test", wait=1.2),
            "silence-then-tls-admin": lambda: tls(req("GET", "/echo/admin/x", NAME, HTTPS), alpn=["http/1.1"], wait=1.2),
            "silence-then-http": lambda: plain(req("GET", "/echo/admin/x", NAME, HTTP), wait=1.2),
            "empty-line-then-http": lambda: plain(b"\r\n" + req("GET", "/echo/admin/x", NAME, HTTP)),
            "unknown-method-propfind": lambda: plain(req("PROPFIND", "/echo/admin/x", NAME, HTTP)),
            "unknown-method-foo": lambda: plain(req("FOO", "/echo/admin/x", NAME, HTTP)),
            "unknown-method-with-hyphen": lambda: plain(req("BASELINE-CONTROL", "/echo/admin/x", NAME, HTTP)),
            "lower-case-method": lambda: plain(req("get", "/echo/admin/x", NAME, HTTP)),
            "path-parameters": lambda: plain(req("GET", "/echo/admin;x/y", NAME, HTTP)),
            "path-parameters-encoded": lambda: plain(req("GET", "/echo/admin%3Bx/y", NAME, HTTP)),
            "allowed-path": lambda: plain(req("GET", "/echo/public", NAME, HTTP)),
            "plain-http": lambda: plain(req("GET", "/echo/x", NAME, HTTP)),
            "tls-http": lambda: tls(req("GET", "/echo/x", NAME, HTTPS), alpn=["http/1.1"]),
            "daemon-api": lambda: plain(req("GET", "/v1/health", NAME, DAEMON), port=DAEMON),
        }
        print("result:", cases[sys.argv[1]]())
        """;

    [Theory]
    // TLS offering only a non-HTTP ALPN is still terminated when a path rule applies: the request inside is decided
    [InlineData(DenyAdmin, "alpn-imap-then-http", "HTTP/1.1 403")]
    [InlineData(DenyAdmin, "alpn-none-then-http", "HTTP/1.1 403")]
    // silence longer than the peek changes nothing: the SNI is checked, the requests are decided
    [InlineData(ApiHostOnly, "silence-then-tls-other-sni", "error")]
    [InlineData(DenyAdmin, "silence-then-tls-other-sni", "error")]
    [InlineData(DenyAdmin, "silence-then-tls-admin", "HTTP/1.1 403")]
    [InlineData(DenyAdmin, "silence-then-http", "HTTP/1.1 403")]
    [InlineData(ApiHostOnly, "silence-then-http", "HTTP/1.1 200")]
    // HTTP the peek does not recognise is still HTTP: Kestrel parses it (or refuses it), never a raw tunnel
    [InlineData(DenyAdmin, "empty-line-then-http", "HTTP/1.1 4")]
    [InlineData(DenyAdmin, "unknown-method-propfind", "HTTP/1.1 403")]
    [InlineData(DenyAdmin, "unknown-method-foo", "HTTP/1.1 403")]
    [InlineData(DenyAdmin, "unknown-method-with-hyphen", "HTTP/1.1 403")]
    [InlineData(DenyAdmin, "lower-case-method", "HTTP/1.1 403")]
    // ;parameters: /admin;x/y is /admin/y to a servlet container
    [InlineData(DenyAdmin, "path-parameters", "HTTP/1.1 403")]
    [InlineData(DenyAdmin, "path-parameters-encoded", "HTTP/1.1 403")]
    [InlineData(DenyAdmin, "allowed-path", "HTTP/1.1 200")]
    // a CIDR deny covers a name that resolves into it
    [InlineData(DenyLoopback, "plain-http", "HTTP/1.1 403")]
    [InlineData(DenyLoopback, "tls-http", "error")]
    [InlineData(ApiHostOnly, "plain-http", "HTTP/1.1 200")]
    // the daemon's own API is never dialled, though loopback is in allowPrivate and the name is allowed
    [InlineData(ApiHostOnly, "daemon-api", "HTTP/1.1 502")]
    public async Task Bypass(string rules, string @case, string expected)
    {
        await fx.RulesAsync(rules);
        var r = await fx.Sandbox.ExecAsync(new HiveClient.ExecRequest
        {
            Command = new HiveClient.ExecCommand(["python3", "-c", Client, @case]),
            Env = new() { ["HTTPS"] = fx.Upstream.HttpsPort.ToString(), ["HTTP"] = fx.Upstream.HttpPort.ToString(), ["DAEMON"] = fx.Daemon.Port.ToString() },
            TimeoutMs = 60_000,
        });
        var line = r.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("result: ")) ?? $"no result: {r.Stdout} {r.Stderr}";
        Assert.StartsWith("result: " + expected, line);
    }

    [Fact]
    public async Task Tunnels_are_evented_and_a_refused_fronting_names_the_server_name()
    {
        await fx.RulesAsync(ApiHostOnly);
        var before = await fx.LastEventIdAsync();
        await Bypass(ApiHostOnly, "silence-then-tls-other-sni", "error");
        var events = await fx.EventsAfterAsync(before, "egress.request");
        Assert.Contains(events, e => e.Get<string>("access") == "denied" && (e.Get<string>("reason") ?? "").Contains("other.example.test"));
    }

    [Fact]
    public async Task An_intercepted_handshake_that_stalls_is_closed_after_10_seconds()
    {
        await fx.RulesAsync(DenyAdmin);
        // A whole ClientHello, then nothing: the proxy answers its flight and gives up waiting for the client's.
        var r = await fx.ShAsync("""
            python3 - <<'PY'
            import socket, ssl, os, time
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = ctx.wrap_bio(incoming, outgoing, server_hostname="api.example.test")
            try: tls.do_handshake()
            except ssl.SSLWantReadError: pass
            s = socket.create_connection(("api.example.test", int(os.environ["HTTPS"])), timeout=25)
            s.sendall(outgoing.read())
            start = time.time()
            try:
                while s.recv(65536): pass
                print("closed after %.0f s" % (time.time() - start))
            except socket.timeout: print("still open after 25 s")
            except OSError as e: print("closed after %.0f s (%s)" % (time.time() - start, e))
            PY
            """);
        Assert.Matches(@"closed after (9|10|11|12|13) s", r.Stdout);
    }

    [Fact]
    public async Task Connections_past_the_cap_of_1024_per_sandbox_are_refused_and_recorded()
    {
        await fx.RulesAsync(ApiHostOnly);
        var before = await fx.LastEventIdAsync();
        var r = await fx.ShAsync("""
            python3 - <<'PY'
            import socket, os, time, resource
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
            socks = []
            refused = 0
            for i in range(1100):
                # Past the cap the proxy may reset a connection as it is made (an idle machine) or just after (a busy one).
                try: socks.append(socket.create_connection(("api.example.test", int(os.environ["HTTP"])), timeout=5))
                except OSError as e:
                    refused += 1
                    if refused > 200: print("connect", i, "failed:", e); break
            for s in socks: s.setblocking(False)
            gone = set()
            deadline = time.time() + 15
            while time.time() < deadline and len(socks) - len(gone) > 1024:
                time.sleep(0.5)
                for i, s in enumerate(socks):
                    if i in gone: continue
                    try:
                        if not s.recv(1): gone.add(i)
                    except BlockingIOError: pass
                    except OSError: gone.add(i)
            print("opened", len(socks), "closed", len(gone), "refused", refused)
            PY
            """, 120_000);
        var m = System.Text.RegularExpressions.Regex.Match(r.Stdout, @"opened (\d+) closed (\d+) refused (\d+)");
        Assert.True(m.Success, r.Stdout + r.Stderr);
        var opened = int.Parse(m.Groups[1].Value);
        var closed = int.Parse(m.Groups[2].Value);
        var refused = int.Parse(m.Groups[3].Value);
        Assert.True(opened + refused >= 1100 && closed + refused > 0, r.Stdout); // every attempt made, some turned away
        Assert.InRange(opened - closed, 1000, 1024); // at most the cap stay open
        var events = await fx.EventsAfterAsync(before, "egress.request");
        Assert.Contains(events, e => e.Get<string>("access") == "denied" && (e.Get<string>("reason") ?? "").Contains("too many connections"));
    }

    [Fact]
    public async Task Response_events_count_bytes_into_and_out_of_the_sandbox_under_their_own_names()
    {
        await fx.RulesAsync(ApiHostOnly);
        var before = await fx.LastEventIdAsync();
        var r = await fx.ShAsync("""
            head -c 3000 /dev/zero > /tmp/up && curl -sS -m 20 -o /dev/null --data-binary @/tmp/up http://api.example.test:$HTTP/upload \
            && curl -sS -m 20 -o /dev/null "http://api.example.test:$HTTP/bytes?n=50000" && echo ok
            """);
        Assert.Contains("ok", r.Stdout);
        await Task.Delay(300);
        var responses = await fx.EventsAfterAsync(before, "egress.response");
        Assert.Equal(2, responses.Count);
        Assert.Equal(3000, responses[0].Get<long>("bytesOut"));
        Assert.True(responses[0].Get<long>("bytesIn") < 100, responses[0].Get<long>("bytesIn").ToString());
        Assert.Equal(50000, responses[1].Get<long>("bytesIn"));
        Assert.Equal(0, responses[1].Get<long>("bytesOut"));
    }
}
