using System.Text.Json.Nodes;
using Hive.Core.Config;
using static Hive.Core.Tests.Config.TestConfig;

namespace Hive.Core.Tests.Config;

public class ConfigJsonTests
{
    private const string WithOverrides =
        "{'egress':[{'access':'allow','host':'api.example.com','override':{'headers':{'X-Token':'hdr-SECRET-1','X-Other':'hdr-SECRET-2'},'query':{'api_key':'qry-SECRET-3'}}}," +
        "{'access':'allow','host':'b.example.com','override':{'query':{'key':'qry-SECRET-4'}}}],'env':{'VISIBLE':'env-value'}}";

    [Fact]
    public void DefaultConfigSerialisesToTheNormalForm() => Assert.Equal(
        J("{'image':'hive/base','env':{},'secrets':{},'fs':[{'backend':'local','mount':'/workspace','volume':'box1-workspace'," +
          "'acls':[{'path':'/workspace/**','access':'rw'}]}],'egress':[],'egressDefault':'deny','askTimeout':120,'ttl':0,'resources':{'cpus':1,'memoryMb':1024,'pids':512}}"),
        ConfigJson.Serialize(Ok(""), redact: false));

    [Fact]
    public void RuleSerialisesOnlyTheFieldsItHas() => Assert.Equal(
        J("[{'access':'deny','host':'*.evil.example'},{'access':'allow','host':'api.github.com','ports':[443],'methods':['GET','POST'],'paths':['/repos/**']}]"),
        ConfigJson.ToJsonNode(Ok("{'egress':{'allow':[{'host':'api.github.com','ports':[443],'methods':['get','post'],'paths':['/repos/**']}],'deny':[{'host':'*.EVIL.example'}]}}"), false)["egress"]!.ToJsonString());

    [Fact]
    public void MountsSerialiseOnlyTheFieldsTheyHave() => Assert.Equal(
        J("[{'backend':'local','mount':'/src','origin':'/srv/src','acls':[]},{'backend':'azure','mount':'/blobs','container':'notes','prefix':'team/a','credentials':'notes-key','acls':[{'path':'/blobs/**','access':'ro'}]}]"),
        ConfigJson.ToJsonNode(Ok("{'fs':[{'backend':'local','mount':'/src','origin':'/srv/src','acls':[]}," +
                                 "{'backend':'azure','mount':'/blobs','container':'notes','prefix':'team/a','credentials':'notes-key','acls':[{'path':'/blobs/**','access':'ro'}]}]}"), false)["fs"]!.ToJsonString());

    [Fact]
    public void RedactionHidesEveryOverrideValue()
    {
        var json = ConfigJson.Serialize(Ok(WithOverrides), redact: true);
        Assert.DoesNotContain("SECRET", json);
        Assert.Contains(J("'headers':{'X-Token':'***','X-Other':'***'},'query':{'api_key':'***'}"), json);
        Assert.Contains(J("'query':{'key':'***'}"), json);
        Assert.Contains("env-value", json);
    }

    [Fact]
    public void RedactedNodeHidesEveryOverrideValue()
    {
        var node = ConfigJson.ToJsonNode(Ok(WithOverrides), redact: true);
        Assert.DoesNotContain("SECRET", node.ToJsonString());
        Assert.Equal("***", (string?)node["egress"]![0]!["override"]!["headers"]!["X-Token"]);
    }

    [Fact]
    public void WithoutRedactionValuesArePresent()
    {
        var json = ConfigJson.Serialize(Ok(WithOverrides), redact: false);
        foreach (var secret in new[] { "hdr-SECRET-1", "hdr-SECRET-2", "qry-SECRET-3", "qry-SECRET-4" })
            Assert.Contains(secret, json);
        Assert.DoesNotContain("***", json);
    }

    [Fact]
    public void SerialisingDoesNotEscapeReadableCharacters()
    {
        var json = ConfigJson.Serialize(Ok("{'env':{'A':'grüße <b>&'}}"), redact: false);
        Assert.Contains("grüße <b>&", json);
    }

    public static TheoryData<string> Configs() =>
    [
        "",
        "{'fs':[]}",
        "{'image':'myorg/tool:1.2','ttl':1800,'resources':{'cpus':0.25,'memoryMb':2048,'pids':100}}",
        "{'env':{'A':'1','B':'quote \\' \\\\ backslash','C':'ü 日本 \\t tab','D':''},'secrets':{'GITHUB_TOKEN':'gh.prod'}}",
        "{'fs':[{'backend':'local','mount':'/workspace','volume':'team-notes','acls':[{'path':'/workspace/.git/**','access':'deny'},{'path':'/workspace/**','access':'rw'}]}]}",
        "{'fs':[{'backend':'local','mount':'/src','origin':'/srv/src','acls':[]},{'backend':'local','mount':'/data/x'}]}",
        "{'fs':[{'backend':'azure','mount':'/blobs','container':'team-notes','prefix':'a/b','credentials':'k'},{'backend':'azure','mount':'/c','container':'c12','credentials':'k'}]}",
        "{'egress':{'allow':[{'host':'api.github.com','ports':[443,443],'methods':['get'],'paths':['/repos/**'],'override':{'headers':{'X-Token':'abc'},'query':{'k':'v'}}}],'deny':[{'host':'*.Evil.example.'}]}}",
        "{'egress':[{'access':'allow','host':'bücher.example'},{'access':'deny','host':'10.1.2.3/16'},{'access':'allow','host':'[2001:DB8::1]','ports':[22]},{'access':'allow','host':'*'}]}",
        "{'egress':[{'access':'allow','host':'a.com','override':{'query':{'api_key':'x'}}}]}",
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void RoundTripGivesAnEqualConfig(string json)
    {
        var config = Ok(json);
        var serialized = ConfigJson.Serialize(config, redact: false);
        var reparsed = ConfigParser.Parse(serialized, Box);
        Assert.True(reparsed.Ok, string.Join("\n", reparsed.Errors) + "\n" + serialized);
        Assert.Equal(config, reparsed.Config);
        Assert.Equal(serialized, ConfigJson.Serialize(reparsed.Config!, redact: false));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void SerialisedConfigKeepsVolumesUnderAnotherSandboxName(string json)
    {
        var config = Ok(json);
        Assert.Equal(config, ConfigParser.Parse(ConfigJson.Serialize(config, redact: false), "other").Config);
    }

    [Fact]
    public void NodeIsAFreshObjectEachTime()
    {
        var config = Ok("");
        var a = ConfigJson.ToJsonNode(config, false);
        a["ttl"] = 5;
        Assert.Equal(0, (int)ConfigJson.ToJsonNode(config, false)["ttl"]!);
        Assert.IsType<JsonObject>(a["resources"]);
    }
}
