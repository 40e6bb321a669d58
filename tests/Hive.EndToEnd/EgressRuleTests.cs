using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>Allowed and denied by host, wildcard, port, method, path and rule order, with real curl in a sandbox.</summary>
[Collection("egress")]
public sealed class EgressRuleTests(EgressDaemon fx)
{
    public static TheoryData<string, string, string> Cases => new()
    {
        // rules, curl arguments, expected: an HTTP status, or "exit N" for a curl failure (6 = NXDOMAIN, 35 = TLS refused)
        { """[{ "access": "allow", "host": "api.example.test" }]""", "https://api.example.test:$HTTPS/echo", "200" },
        { """[{ "access": "allow", "host": "api.example.test" }]""", "http://api.example.test:$HTTP/echo", "200" },
        { """[{ "access": "allow", "host": "api.example.test" }]""", "https://other.example.test:$HTTPS/echo", "exit 6" },
        { """[{ "access": "allow", "host": "API.Example.Test." }]""", "https://api.example.test:$HTTPS/echo", "200" },
        { """[{ "access": "allow", "host": "*.example.test" }]""", "https://other.example.test:$HTTPS/echo", "200" },
        { """[{ "access": "allow", "host": "*" }]""", "https://other.example.test:$HTTPS/echo", "200" },
        { """[{ "access": "allow", "host": "api.example.test", "ports": [$HTTPS] }]""", "https://api.example.test:$HTTPS/echo", "200" },
        { """[{ "access": "allow", "host": "api.example.test", "ports": [$HTTPS] }]""", "http://api.example.test:$HTTP/echo", "403" },
        { """[{ "access": "allow", "host": "api.example.test", "ports": [1] }]""", "https://api.example.test:$HTTPS/echo", "exit 35" },
        { """[{ "access": "allow", "host": "api.example.test", "methods": ["GET"] }]""", "https://api.example.test:$HTTPS/echo", "200" },
        { """[{ "access": "allow", "host": "api.example.test", "methods": ["GET"] }]""", "-X POST https://api.example.test:$HTTPS/echo", "403" },
        { """[{ "access": "allow", "host": "api.example.test", "methods": ["get"] }]""", "-X DELETE https://api.example.test:$HTTPS/echo", "403" },
        { """[{ "access": "allow", "host": "api.example.test", "paths": ["/echo/v1/**"] }]""", "https://api.example.test:$HTTPS/echo/v1/a/b", "200" },
        { """[{ "access": "allow", "host": "api.example.test", "paths": ["/echo/v1/**"] }]""", "https://api.example.test:$HTTPS/echo/v1", "200" },
        { """[{ "access": "allow", "host": "api.example.test", "paths": ["/echo/v1/**"] }]""", "https://api.example.test:$HTTPS/echo/v2", "403" },
        { """[{ "access": "allow", "host": "api.example.test", "paths": ["/echo/*"] }]""", "https://api.example.test:$HTTPS/echo/a/b", "403" },
        { """[{ "access": "deny", "host": "api.example.test", "paths": ["/echo/admin/**"] }, { "access": "allow", "host": "api.example.test" }]""", "https://api.example.test:$HTTPS/echo/admin/x", "403" },
        { """[{ "access": "deny", "host": "api.example.test", "paths": ["/echo/admin/**"] }, { "access": "allow", "host": "api.example.test" }]""", "https://api.example.test:$HTTPS/echo/ok", "200" },
        { """[{ "access": "allow", "host": "api.example.test" }, { "access": "deny", "host": "api.example.test", "paths": ["/echo/admin/**"] }]""", "https://api.example.test:$HTTPS/echo/admin/x", "200" },
        { """[{ "access": "deny", "host": "api.example.test" }, { "access": "allow", "host": "*.example.test" }]""", "https://api.example.test:$HTTPS/echo", "exit 6" },
        { """{ "allow": [{ "host": "*.example.test" }], "deny": [{ "host": "other.example.test" }] }""", "https://other.example.test:$HTTPS/echo", "exit 6" },
        { """{ "allow": [{ "host": "*.example.test" }], "deny": [{ "host": "other.example.test" }] }""", "https://api.example.test:$HTTPS/echo", "200" },
        { """[]""", "https://api.example.test:$HTTPS/echo", "exit 6" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Rule_decides_the_request(string rules, string curl, string expected)
    {
        await fx.RulesAsync(rules);
        var before = await fx.LastEventIdAsync();
        var r = await fx.ShAsync($"curl -sS -m 10 -o /dev/null -w '%{{http_code}}' {curl}; echo \" exit $?\"");
        var (code, exit) = (r.Stdout.Split(' ')[0], r.Stdout.Trim().Split(' ')[^1]);
        var got = exit == "0" ? code : $"exit {exit}";
        Assert.True(expected == got, $"expected {expected}, got {got}: {r.Stdout} {r.Stderr}");
        var events = await fx.EventsAfterAsync(before);
        if (expected == "200") Assert.Contains(events, e => e.Type == "egress.request" && e.Get<string>("access") == "allowed");
        else if (expected == "exit 6") Assert.Contains(events, e => e.Type == "dns.query" && e.Get<string>("answer") == "nxdomain");
        else Assert.Contains(events, e => e.Type == "egress.request" && e.Get<string>("access") == "denied");
    }

    [Fact]
    public async Task Denied_request_gets_403_naming_the_host_and_how_to_allow_it()
    {
        await fx.RulesAsync("""[{ "access": "allow", "host": "api.example.test", "methods": ["GET"] }]""");
        var r = await fx.ShAsync("curl -sS -m 10 -X POST https://api.example.test:$HTTPS/echo");
        Assert.Contains("Hive denied POST https://api.example.test", r.Stdout);
        Assert.Contains("\"access\": \"allow\"", r.Stdout);
    }
}
