using Hive.Core.Config;
using Hive.Core.Egress;
using static Hive.Core.Tests.Egress.EgressDsl;

namespace Hive.Core.Tests.Egress;

/// <summary><c>access: ask</c> rules and <c>egressDefault: ask</c>: matched like any rule, first match wins; DNS and TLS treat them like an allow.</summary>
public class AskPolicyTests
{
    [Theory]
    // an ask rule decides what it matches, at every layer
    [InlineData("ask api.test", "HTTP GET api.test:443 /x", "ask 0")]
    [InlineData("ask api.test", "TCP api.test:5432", "ask 0")]
    [InlineData("ask api.test ports=443", "HTTP GET api.test:80 /", "deny")]
    // first match wins: an allow or deny before it still decides
    [InlineData("allow api.test paths=/ok/**; ask api.test", "HTTP GET api.test:443 /ok/a", "allow 0")]
    [InlineData("allow api.test paths=/ok/**; ask api.test", "HTTP GET api.test:443 /other", "ask 1")]
    [InlineData("deny api.test methods=DELETE; ask api.test", "HTTP DELETE api.test:443 /x", "deny 0")]
    [InlineData("deny *.test; ask api.test", "HTTP GET api.test:443 /x", "deny 0")]
    [InlineData("ask api.test; allow api.test", "HTTP GET api.test:443 /x", "ask 0")]
    // an ask with paths asks for those paths only; the rest falls through
    [InlineData("ask api.test paths=/admin/**; allow api.test", "HTTP GET api.test:443 /admin/x", "ask 0")]
    [InlineData("ask api.test paths=/admin/**; allow api.test", "HTTP GET api.test:443 /public", "allow 1")]
    [InlineData("ask api.test paths=/admin/**", "HTTP GET api.test:443 /admin/%2e%2e/x", "deny 0")] // an ambiguous path is never asked about
    // TLS before interception: an ask is intercepted (HTTP) or held as a flow, never tunnelled unasked
    [InlineData("ask api.test", "TLS api.test:443", "ask 0")]
    [InlineData("allow api.test paths=/ok/**; ask api.test", "TLS api.test:443", "http")]
    [InlineData("deny api.test paths=/x/**; ask api.test", "TLS api.test:443", "http")]
    [InlineData("ask api.test paths=/x/**", "TLS api.test:443", "http")]
    // an IP rule that asks never covers a name (like allow), but does an address dialled directly
    [InlineData("ask 10.0.0.0/8", "TCP 10.1.2.3:22", "ask 0")]
    [InlineData("ask 10.0.0.0/8", "TCP name.test:22@10.1.2.3", "deny")]
    public void Rules(string rules, string request, string expected) =>
        Assert.Equal(expected, Show(Policy(rules).Decide(Request(request))));

    [Theory]
    [InlineData("", "HTTP GET any.test:443 /x", "ask")]
    [InlineData("", "TCP any.test:22", "ask")]
    [InlineData("", "TLS any.test:443", "ask")]
    [InlineData("allow api.test", "HTTP GET api.test:443 /", "allow 0")]
    [InlineData("deny evil.test", "HTTP GET evil.test:443 /", "deny 0")]
    [InlineData("allow api.test paths=/ok/**", "HTTP GET api.test:443 /no", "ask")]
    [InlineData("allow api.test paths=/ok/**", "TLS api.test:443", "http")]
    [InlineData("deny api.test paths=/x/**", "TLS api.test:443", "http")]
    [InlineData("allow api.test methods=GET", "TCP api.test:22", "ask")]
    [InlineData("", "TCP exa$mple:80", "deny")]
    public void Default_ask_holds_what_no_rule_matches(string rules, string request, string expected) =>
        Assert.Equal(expected, Show(AskingPolicy(rules).Decide(Request(request))));

    [Fact]
    public void Default_deny_is_unchanged_and_empty_rules_still_deny_everything()
    {
        Assert.Equal("deny", Show(Policy("").Decide(Request("HTTP GET any.test:443 /"))));
        Assert.False(Policy("").CouldAllowName("any.test"));
        Assert.False(Policy("").AskByDefault);
        Assert.True(AskingPolicy("").AskByDefault);
    }

    [Theory]
    [InlineData("ask api.test", "api.test", true)]
    [InlineData("ask *.api.test", "x.api.test", true)]
    [InlineData("ask api.test", "other.test", false)]
    [InlineData("deny api.test; ask *", "api.test", false)]
    [InlineData("ask 10.0.0.0/8", "name.test", false)]
    public void Dns_answers_names_an_ask_rule_could_cover(string rules, string name, bool answered) =>
        Assert.Equal(answered, Policy(rules).CouldAllowName(name));

    [Theory]
    [InlineData("", "anything.test", true)]
    [InlineData("deny evil.test", "evil.test", false)]
    [InlineData("deny evil.test ports=443", "evil.test", true)]
    [InlineData("", "127.0.0.1", false)]
    [InlineData("", "0x7f000001", false)]
    public void Dns_with_default_ask_answers_every_name_a_deny_does_not_shadow(string rules, string name, bool answered) =>
        Assert.Equal(answered, AskingPolicy(rules).CouldAllowName(name));

    [Fact]
    public void The_config_compiles_with_its_egress_default()
    {
        var config = ConfigParser.Parse("""{ "egressDefault": "ask", "askTimeout": 30 }""", "box1").Config!;
        Assert.True(EgressPolicy.Compile(config).AskByDefault);
        Assert.Equal("ask", Show(EgressPolicy.Compile(config).Decide(Request("HTTP GET a.test:80 /"))));
    }
}
