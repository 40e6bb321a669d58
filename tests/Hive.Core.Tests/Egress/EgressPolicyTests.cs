using System.Net;
using Hive.Core.Egress;
using static Hive.Core.Tests.Egress.EgressDsl;

namespace Hive.Core.Tests.Egress;

public class EgressPolicyTests
{
    [Fact]
    public void DecideDoesNotAllocate()
    {
        var policy = Policy(
            "deny *.evil.test; deny 169.254.0.0/16; deny x.com paths=/admin/**,/v*/internal/**; " +
            "allow api.github.com ports=443 methods=GET,HEAD paths=/repos/**,/users/*/repos,/v1/**.json; " +
            "allow *.example.com ports=443,80; allow 10.1.0.0/16 ports=5432; allow 2001:db8::/32; allow x.com");
        var requests = new[]
        {
            Request("HTTP GET api.github.com:443 /repos/a/b/issues"),
            Request("HTTP head api.github.com:443 /users/me/repos"),
            Request("HTTP GET api.github.com:443 /v1/a/b/c.json"),
            Request("HTTP POST api.github.com:443 /repos/a"),
            Request("HTTP GET api.github.com:443 /v1/%2e%2e/admin"),
            Request("HTTP GET x.com:443 /v2/internal/x"),
            Request("HTTP GET x.com:443 /public"),
            Request("TLS api.github.com:443"),
            Request("TLS x.com:443"),
            Request("TLS deep.sub.example.com:443"),
            Request("TCP 10.1.2.3:5432"),
            Request("TCP [2001:db8::5]:22"),
            Request("TCP internal.corp:22@169.254.169.254"),
            Request("TCP a.evil.test:443"),
            Request("HTTP GET nowhere.test:80 /"),
            Request("TCP exa$mple:80"),
        };
        var expected = requests.Select(r => policy.Decide(r)).ToArray();
        Assert.Contains(expected, d => d.IsAllowed);
        Assert.Contains(expected, d => d.IsDenied);
        Assert.Contains(expected, d => d.NeedsHttp);

        Assert.Equal(0, Allocations.Quietest(() =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                var k = i % requests.Length;
                if (policy.Decide(requests[k]) != expected[k]) throw new InvalidOperationException("unstable decision");
            }
        }));

        var dns = new[] { "api.github.com", "API.GITHUB.COM.", "a.example.com", "x.evil.test", "unknown.test", "127.0.0.1" };
        Assert.Equal(0, Allocations.Quietest(() =>
        {
            for (var i = 0; i < 100_000; i++) policy.CouldAllowName(dns[i % dns.Length]);
        }));
    }

    [Fact]
    public void NormalisingACanonicalRequestDoesNotAllocateEither()
    {
        const string host = "api.github.com";
        const string target = "/repos/hive/issues";
        var policy = Policy("allow api.github.com paths=/repos/**");
        policy.Decide(EgressRequest.Http(host, null, 443, "GET", UrlPath.Normalize(target)));
        Assert.Equal(0, Allocations.Quietest(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                var url = UrlPath.Normalize(target);
                var request = EgressRequest.Http(host, null, 443, "GET", url);
                if (!policy.Decide(request).IsAllowed) throw new InvalidOperationException();
            }
        }));
    }

    [Fact]
    public void DecisionsCarryTheRuleAndAReason()
    {
        var policy = Policy("deny x.com paths=/admin/**; allow x.com methods=GET; allow y.com");
        Assert.Equal(new EgressDecision(EgressVerdict.Allowed, 1, EgressReasons.AllowedByRule), policy.Decide(Request("HTTP GET x.com:443 /a")));
        Assert.Equal(new EgressDecision(EgressVerdict.Denied, 0, EgressReasons.DeniedByRule), policy.Decide(Request("HTTP GET x.com:443 /admin")));
        Assert.Equal(new EgressDecision(EgressVerdict.Denied, 0, EgressReasons.AmbiguousPath), policy.Decide(Request("HTTP GET x.com:443 /a%2fb")));
        Assert.Equal(new EgressDecision(EgressVerdict.Denied, null, EgressReasons.NoMatch), policy.Decide(Request("HTTP GET z.com:443 /a")));
        Assert.Equal(new EgressDecision(EgressVerdict.NeedsHttp, null, EgressReasons.NeedsHttp), policy.Decide(Request("TLS x.com:443")));
        Assert.Equal(new EgressDecision(EgressVerdict.Denied, null, EgressReasons.TcpNeedsHostRule), policy.Decide(Request("TCP x.com:443")));
        Assert.Equal(new EgressDecision(EgressVerdict.Denied, null, EgressReasons.InvalidHost), policy.Decide(Request("TCP x..com:443")));
        Assert.Equal(new EgressDecision(EgressVerdict.Denied, null, EgressReasons.NoRules), Policy("").Decide(Request("TCP x.com:443")));
        Assert.Equal("allowed", policy.Decide(Request("TCP y.com:1")).Access);
        Assert.Equal("denied", policy.Decide(Request("TCP z.com:1")).Access);
    }

    [Fact]
    public void AnHttpRequestWithoutAPathIsDeniedByARuleWithPaths()
    {
        var policy = Policy("allow x.com paths=/**; allow y.com");
        Assert.Equal("deny 0", Show(policy.Decide(EgressRequest.Http("x.com", null, 443, "CONNECT", path: null))));
        Assert.Equal("allow 1", Show(policy.Decide(EgressRequest.Http("y.com", null, 443, "CONNECT", path: null))));
        // asterisk-form is no path: rules with paths do not match it (and do not deny it)
        Assert.Equal("deny", Show(policy.Decide(EgressRequest.Http("x.com", null, 443, "OPTIONS", UrlPath.Normalize("*")))));
    }

    [Fact]
    public void RequestsCanonicaliseTheirHost()
    {
        var r = EgressRequest.Http("API.GitHub.COM.", null, 443, "get", "/x");
        Assert.Equal("api.github.com", r.Host);
        Assert.Equal(EgressHostKind.Name, r.HostKind);
        Assert.Equal(EgressLayer.Http, r.Layer);
        Assert.Equal("get", r.Method);

        r = EgressRequest.Tls("0x7f.1", null, 443);
        Assert.Equal("127.0.0.1", r.Host);
        Assert.Equal(EgressHostKind.Address, r.HostKind);
        Assert.Equal(IPAddress.Parse("127.0.0.1"), r.Ip);
        Assert.Null(r.Method);
        Assert.Null(r.Path);

        r = EgressRequest.Tcp(IPAddress.Parse("::ffff:10.0.0.1"), 22);
        Assert.Equal("10.0.0.1", r.Host);
        Assert.Equal(EgressHostKind.Address, r.HostKind);

        r = EgressRequest.Tcp("bücher.example", IPAddress.Parse("93.184.216.34"), 22);
        Assert.Equal("xn--bcher-kva.example", r.Host);
        Assert.Equal(IPAddress.Parse("93.184.216.34"), r.Ip);

        r = EgressRequest.Tcp("bad host", null, 22);
        Assert.Equal("bad host", r.Host);
        Assert.Equal(EgressHostKind.Invalid, r.HostKind);

        // Method and path only count for HTTP.
        r = new EgressRequest(EgressLayer.Tcp, "x.com", null, 80, "GET", "/a", UrlPathFlags.EncodedSlash);
        Assert.Null(r.Method);
        Assert.Null(r.Path);
        Assert.Equal(UrlPathFlags.None, r.PathFlags);
        Assert.Throws<ArgumentNullException>(() => new EgressRequest(EgressLayer.Http, "x.com", null, 80));
    }

    [Fact]
    public void AnAddressHostThatContradictsTheDialledAddressIsInvalid()
    {
        var policy = Policy("allow *");
        var r = EgressRequest.Http("10.0.0.1", IPAddress.Parse("10.0.0.2"), 80, "GET", "/");
        Assert.Equal(EgressHostKind.Invalid, r.HostKind);
        Assert.Equal("deny", Show(policy.Decide(r)));
        r = EgressRequest.Http("10.0.0.1", IPAddress.Parse("::ffff:10.0.0.1"), 80, "GET", "/");
        Assert.Equal("allow 0", Show(policy.Decide(r)));
    }

    [Fact]
    public void ADefaultRequestIsDenied()
    {
        EgressRequest request = default;
        Assert.Equal(EgressHostKind.Invalid, request.HostKind);
        Assert.Equal(new EgressDecision(EgressVerdict.Denied, null, EgressReasons.InvalidHost), Policy("allow *").Decide(request));
    }

    [Fact]
    public void KnowsWhetherNamesNeedResolvingFirst()
    {
        Assert.False(Policy("allow *; deny x.com").HasAddressDenyRules);
        Assert.False(Policy("allow 10.0.0.0/8").HasAddressDenyRules);
        Assert.True(Policy("deny 169.254.169.254; allow *").HasAddressDenyRules);
        Assert.True(Policy("allow *; deny fc00::/7").HasAddressDenyRules);
    }

    [Fact]
    public void KeepsTheRules()
    {
        var config = Hive.Core.Tests.Config.TestConfig.Ok("{'egress':{'allow':[{'host':'a.test'}],'deny':[{'host':'b.test'}]}}");
        var policy = EgressPolicy.Compile(config);
        Assert.Same(config.Egress, policy.Rules);
        Assert.Equal("deny 0", Show(policy.Decide(Request("TCP b.test:1"))));
        Assert.Same(EgressPolicy.DenyAll, EgressPolicy.Compile([]));
        Assert.Empty(EgressPolicy.DenyAll.Rules);
        Assert.False(EgressPolicy.DenyAll.CouldAllowName("example.com"));
    }

    [Fact]
    public void IsSafeToShareAcrossThreads()
    {
        var policy = Policy("deny x.com paths=/admin/**; allow *.x.com; allow 10.0.0.0/8 ports=22");
        var requests = new[] { "HTTP GET x.com:443 /admin/a", "HTTP GET a.x.com:443 /b", "TLS x.com:443", "TCP 10.1.1.1:22", "TCP 10.1.1.1:23" }
            .Select(Request).ToArray();
        var expected = requests.Select(r => Show(policy.Decide(r))).ToArray();
        Parallel.For(0, 50_000, i =>
        {
            var k = i % requests.Length;
            Assert.Equal(expected[k], Show(policy.Decide(requests[k])));
        });
    }
}
