using Hive.Core.Config;
using static Hive.Core.Tests.Config.TestConfig;

namespace Hive.Core.Tests.Config;

public class EgressParsingTests
{
    [Theory]
    [InlineData("{}")]
    [InlineData("{'egress':[]}")]
    [InlineData("{'egress':{}}")]
    [InlineData("{'egress':{'allow':[],'deny':[]}}")]
    [InlineData("{'egress':null}")]
    public void NoRulesMeansEmptyList(string json) => Assert.Empty(Ok(json).Egress);

    [Fact]
    public void ListFormKeepsOrderAndAccess()
    {
        var rules = Ok("{'egress':[{'access':'allow','host':'a.com'},{'access':'deny','host':'b.com'},{'access':'allow','host':'*'}]}").Egress;
        Assert.Equal([(EgressAccess.Allow, "a.com"), (EgressAccess.Deny, "b.com"), (EgressAccess.Allow, "*")],
            rules.Select(r => (r.Access, r.Host)));
    }

    [Theory]
    [InlineData("{'egress':{'allow':[{'host':'a.com'},{'host':'b.com'}],'deny':[{'host':'c.com'},{'host':'d.com'}]}}")]
    [InlineData("{'egress':{'deny':[{'host':'c.com'},{'host':'d.com'}],'allow':[{'host':'a.com'},{'host':'b.com'}]}}")]
    [InlineData("{'egress':{'allow':[{'host':'a.com','access':'allow'},{'host':'b.com'}],'deny':[{'access':'deny','host':'c.com'},{'host':'d.com'}]}}")]
    public void ObjectFormPutsDenyRulesFirstInGivenOrder(string json)
    {
        var rules = Ok(json).Egress;
        Assert.Equal(
            [(EgressAccess.Deny, "c.com"), (EgressAccess.Deny, "d.com"), (EgressAccess.Allow, "a.com"), (EgressAccess.Allow, "b.com")],
            rules.Select(r => (r.Access, r.Host)));
    }

    [Fact]
    public void ObjectFormEqualsTheListFormItNormalisesTo() =>
        Assert.Equal(
            Ok("{'egress':[{'access':'deny','host':'x.com','paths':['/admin/**']},{'access':'allow','host':'x.com'}]}"),
            Ok("{'egress':{'allow':[{'host':'x.com'}],'deny':[{'host':'x.com','paths':['/admin/**']}]}}"));

    [Fact]
    public void OmittedFiltersAreNull()
    {
        var rule = Ok("{'egress':[{'access':'allow','host':'a.com'}]}").Egress[0];
        Assert.Null(rule.Ports);
        Assert.Null(rule.Methods);
        Assert.Null(rule.Paths);
        Assert.Null(rule.Override);
    }

    [Fact]
    public void FullRuleFromTheSpec()
    {
        var rule = Ok("{'egress':[{'access':'allow','host':'api.github.com','ports':[443],'methods':['GET'],'paths':['/repos/**']," +
                      "'override':{'headers':{'X-Token':'abc'},'query':{'api_key':'def'}}}]}").Egress[0];
        Assert.Equal(EgressAccess.Allow, rule.Access);
        Assert.Equal("api.github.com", rule.Host);
        Assert.Equal([443], rule.Ports!);
        Assert.Equal(["GET"], rule.Methods!);
        Assert.Equal(["/repos/**"], rule.Paths!);
        Assert.Equal("abc", rule.Override!.Headers["X-Token"]);
        Assert.Equal("def", rule.Override.Query["api_key"]);
    }

    [Fact]
    public void PortsAreDeduplicatedInOrder() =>
        Assert.Equal([443, 80, 8443], Ok("{'egress':[{'access':'allow','host':'a.com','ports':[443,80,443,8443,80]}]}").Egress[0].Ports!);

    [Fact]
    public void PortBoundsAreInclusive() =>
        Assert.Equal([1, 65535], Ok("{'egress':[{'access':'allow','host':'a.com','ports':[1,65535]}]}").Egress[0].Ports!);

    [Fact]
    public void MethodsAreUpperCasedAndDeduplicated() =>
        Assert.Equal(["GET", "POST", "M-SEARCH"],
            Ok("{'egress':[{'access':'allow','host':'a.com','methods':['get','GET','Post','m-search']}]}").Egress[0].Methods!);

    [Fact]
    public void PathsAreDeduplicated() =>
        Assert.Equal(["/a/**", "/b/*"], Ok("{'egress':[{'access':'allow','host':'a.com','paths':['/a/**','/b/*','/a/**']}]}").Egress[0].Paths!);

    [Theory]
    [InlineData("{}")]
    [InlineData("{'headers':{},'query':{}}")]
    [InlineData("{'headers':null}")]
    public void EmptyOverrideIsNull(string overrideJson) =>
        Assert.Null(Ok($"{{'egress':[{{'access':'allow','host':'a.com','override':{overrideJson}}}]}}").Egress[0].Override);

    [Fact]
    public void OverrideWithOnlyHeadersHasEmptyQuery()
    {
        var o = Ok("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'Authorization':'Bearer x','X-Api-Key':'y'}}}]}").Egress[0].Override!;
        Assert.Equal(["Authorization", "X-Api-Key"], o.Headers.Keys);
        Assert.Empty(o.Query);
    }

    [Fact]
    public void OverrideValuesMayContainAnythingButLineBreaksAndNul()
    {
        var o = Ok("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-A':' sp\\tace ü '},'query':{'q':'a&b=c\\n'}}}]}").Egress[0].Override!;
        Assert.Equal(" sp\tace ü ", o.Headers["X-A"]);
        Assert.Equal("a&b=c\n", o.Query["q"]);
    }

    [Fact]
    public void HostsAreNormalisedInRules()
    {
        var rules = Ok("{'egress':{'allow':[{'host':'API.GitHub.com.'},{'host':'bücher.example'},{'host':'[2001:DB8::1]'},{'host':'10.1.2.3/16'}]}}").Egress;
        Assert.Equal(["api.github.com", "xn--bcher-kva.example", "2001:db8::1", "10.1.0.0/16"], rules.Select(r => r.Host));
    }
}
