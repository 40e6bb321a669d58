using System.Text;
using Hive.Core.Config;
using static Hive.Core.Tests.Config.TestConfig;

namespace Hive.Core.Tests.Config;

public class ConfigParserDefaultsTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r\n\t ")]
    [InlineData("{}")]
    [InlineData(" { } ")]
    [InlineData("{'image':null,'env':null,'secrets':null,'fs':null,'egress':null,'ttl':null,'resources':null}")]
    public void EmptyBodyGivesAllDefaults(string json)
    {
        var config = Ok(json);
        Assert.Equal("hive/base", config.Image);
        Assert.Empty(config.Env);
        Assert.Empty(config.Secrets);
        var mount = Assert.Single(config.Fs);
        Assert.Equal(FsBackend.Local, mount.Backend);
        Assert.Equal("/workspace", mount.Mount);
        Assert.Equal("box1-workspace", mount.Volume);
        Assert.Null(mount.Origin);
        Assert.Null(mount.Container);
        Assert.Null(mount.Prefix);
        Assert.Equal([new AclRule("/workspace/**", AclAccess.Rw)], mount.Acls);
        Assert.Empty(config.Egress);
        Assert.Equal(0, config.Ttl);
        Assert.Equal(new Resources(1.0, 1024, 512), config.Resources);
    }

    [Fact]
    public void DefaultVolumeUsesTheSandboxName() =>
        Assert.Equal("team_a-2-workspace", Ok("", "team_a-2").Fs[0].Volume);

    [Fact]
    public void ExplicitEmptyFsMeansNoMounts() => Assert.Empty(Ok("{'fs':[]}").Fs);

    [Theory]
    [InlineData("/workspace", "box1-workspace")]
    [InlineData("/data/x", "box1-data-x")]
    [InlineData("/home/agent/.cache", "box1-home-agent-.cache")]
    [InlineData("/a b", "box1-a-b")]
    [InlineData("/devices", "box1-devices")]
    public void LocalMountGetsDefaultVolumeAndRwAcl(string mount, string volume)
    {
        var fs = Assert.Single(Ok($"{{'fs':[{{'backend':'local','mount':'{mount}'}}]}}").Fs);
        Assert.Equal(volume, fs.Volume);
        Assert.Equal([new AclRule(mount + "/**", AclAccess.Rw)], fs.Acls);
    }

    [Fact]
    public void VeryLongMountGetsAShortenedUniqueVolumeName()
    {
        var a = "/" + new string('a', 200);
        var b = "/" + new string('a', 199) + "b";
        var config = Ok($"{{'fs':[{{'backend':'local','mount':'{a}'}},{{'backend':'local','mount':'{b}'}}]}}");
        Assert.All(config.Fs, m => Assert.True(m.Volume!.Length <= 128, m.Volume));
        Assert.All(config.Fs, m => Assert.StartsWith("box1-aaaa", m.Volume));
        Assert.NotEqual(config.Fs[0].Volume, config.Fs[1].Volume);
        // Valid names round-trip through the parser.
        Assert.True(ConfigParser.Parse(ConfigJson.Serialize(config, redact: false), Box).Ok);
    }

    [Fact]
    public void OriginMountHasNoVolume()
    {
        var fs = Ok("{'fs':[{'backend':'local','mount':'/src','origin':'/srv/data'}]}").Fs[0];
        Assert.Null(fs.Volume);
        Assert.Equal("/srv/data", fs.Origin);
    }

    [Fact]
    public void AzureMountKeepsContainerAndPrefix()
    {
        var fs = Ok("{'fs':[{'backend':'azure','mount':'/blobs','container':'team-notes','prefix':'a/b','credentials':'notes-key'}]}").Fs[0];
        Assert.Equal(FsBackend.Azure, fs.Backend);
        Assert.Equal("team-notes", fs.Container);
        Assert.Equal("a/b", fs.Prefix);
        Assert.Null(fs.Volume);
        Assert.Equal([new AclRule("/blobs/**", AclAccess.Rw)], fs.Acls);
    }

    [Fact]
    public void S3MountKeepsBucketRegionEndpointAndTheCredentialsName()
    {
        var fs = Ok("{'fs':[{'backend':'s3','mount':'/data','bucket':'team.data-1','prefix':'agents','region':'eu-west-1','endpoint':'http://127.0.0.1:9000','credentials':'team-s3'}]}").Fs[0];
        Assert.Equal(FsBackend.S3, fs.Backend);
        Assert.True(fs.IsObjectStore);
        Assert.Equal(("team.data-1", "agents", "eu-west-1", "http://127.0.0.1:9000", "team-s3"), (fs.Bucket, fs.Prefix, fs.Region, fs.Endpoint, fs.Credentials));
        Assert.Null(fs.Container);
        Assert.Null(fs.Volume);
    }

    [Fact]
    public void EmptyAclListIsKeptAndMeansDenyAll() =>
        Assert.Empty(Ok("{'fs':[{'backend':'local','mount':'/w','acls':[]}]}").Fs[0].Acls);

    [Fact]
    public void AclsKeepTheirOrder()
    {
        var acls = Ok("{'fs':[{'backend':'local','mount':'/w','acls':[" +
                      "{'path':'/w/secret/**','access':'deny'},{'path':'/w/docs/*.md','access':'ro'},{'path':'/w','access':'rw'},{'path':'/w/?.txt','access':'rw'}]}]}").Fs[0].Acls;
        Assert.Equal(
            [new("/w/secret/**", AclAccess.Deny), new("/w/docs/*.md", AclAccess.Ro), new("/w", AclAccess.Rw), new("/w/?.txt", AclAccess.Rw)],
            acls);
    }

    [Fact]
    public void SiblingMountsWithCommonPrefixAreNotNested() =>
        Assert.Equal(2, Ok("{'fs':[{'backend':'local','mount':'/w'},{'backend':'local','mount':'/wx'}]}").Fs.Count);

    [Fact]
    public void SameExplicitVolumeMayBeMountedTwice() =>
        Assert.Equal(2, Ok("{'fs':[{'backend':'local','mount':'/a','volume':'v'},{'backend':'local','mount':'/b','volume':'v'}]}").Fs.Count);

    [Theory]
    [InlineData("{'resources':{}}", 1.0, 1024, 512)]
    [InlineData("{'resources':{'cpus':2}}", 2.0, 1024, 512)]
    [InlineData("{'resources':{'cpus':0.01,'memoryMb':16,'pids':8}}", 0.01, 16, 8)]
    [InlineData("{'resources':{'cpus':64,'memoryMb':1048576,'pids':1048576}}", 64.0, 1048576, 1048576)]
    [InlineData("{'resources':{'memoryMb':2048}}", 1.0, 2048, 512)]
    [InlineData("{'resources':{'pids':100,'cpus':null}}", 1.0, 1024, 100)]
    public void ResourcesFillMissingFields(string json, double cpus, int memoryMb, int pids) =>
        Assert.Equal(new Resources(cpus, memoryMb, pids), Ok(json).Resources);

    [Theory]
    [InlineData("{'ttl':0}", 0)]
    [InlineData("{'ttl':1800}", 1800)]
    [InlineData("{'ttl':2592000}", 2592000)]
    public void TtlIsKept(string json, int ttl) => Assert.Equal(ttl, Ok(json).Ttl);

    [Theory]
    [InlineData("hive/base")]
    [InlineData("python")]
    [InlineData("myorg/tool:1.2")]
    [InlineData("my-org/tool_x.y:v1.2-rc_3")]
    [InlineData("a/b/c:latest")]
    [InlineData("hive/base:_x")]
    public void ValidImages(string image) => Assert.Equal(image, Ok($"{{'image':'{image}'}}").Image);

    [Fact]
    public void EnvAndSecretsKeepKeysAndOrder()
    {
        var config = Ok("{'env':{'Z':'1','A':'two words','_x9':''},'secrets':{'GITHUB_TOKEN':'gh.prod-1','ANTHROPIC_API_KEY':'anthropic-prod'}}");
        Assert.Equal(["Z", "A", "_x9"], config.Env.Keys);
        Assert.Equal("two words", config.Env["A"]);
        Assert.Equal("", config.Env["_x9"]);
        Assert.Equal(["GITHUB_TOKEN", "ANTHROPIC_API_KEY"], config.Secrets.Keys);
        Assert.Equal("anthropic-prod", config.Secrets["ANTHROPIC_API_KEY"]);
    }

    [Fact]
    public void EnvAllowsExactly256Variables()
    {
        var json = "{\"env\":{" + string.Join(",", Enumerable.Range(0, 256).Select(i => $"\"V{i}\":\"x\"")) + "}}";
        Assert.Equal(256, ConfigParser.Parse(json, Box).Config!.Env.Count);
    }

    [Fact]
    public void Utf8AndStringOverloadsAgree()
    {
        const string json = "{\"env\":{\"A\":\"ü\"},\"egress\":[{\"access\":\"allow\",\"host\":\"bücher.example\"}]}";
        var fromBytes = ConfigParser.Parse(Encoding.UTF8.GetBytes(json), Box).Config;
        var fromString = ConfigParser.Parse(json, Box).Config;
        Assert.NotNull(fromBytes);
        Assert.Equal(fromString, fromBytes);
    }

    [Fact]
    public void ByteOrderMarkIsSkipped()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\"ttl\":5}")).ToArray();
        Assert.Equal(5, ConfigParser.Parse(bytes, Box).Config!.Ttl);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-box")]
    [InlineData("a/b")]
    [InlineData("../x")]
    public void InvalidSandboxNameIsAProgrammingError(string name) =>
        Assert.Throws<ArgumentException>(() => ConfigParser.Parse("{}", name));

    [Fact]
    public void ParsedCollectionsCannotBeMutatedThroughCasts()
    {
        var config = Ok("{'env':{'A':'1'},'egress':[{'access':'allow','host':'a.com','ports':[1]}]}");
        Assert.False(config.Env is IDictionary<string, string> { IsReadOnly: false });
        Assert.False(config.Fs is ICollection<FsMount> { IsReadOnly: false });
        Assert.False(config.Egress is ICollection<EgressRule> { IsReadOnly: false });
        Assert.False(config.Egress[0].Ports is ICollection<int> { IsReadOnly: false });
        Assert.False(config.Fs[0].Acls is ICollection<AclRule> { IsReadOnly: false });
    }

    [Fact]
    public void EqualConfigsAreEqualAndHashAlike()
    {
        const string json = "{'env':{'A':'1'},'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/w/**','access':'ro'}]}]," +
                            "'egress':[{'access':'allow','host':'a.com','ports':[443],'override':{'headers':{'X-A':'1'}}}]}";
        var a = Ok(json);
        var b = Ok(json);
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Ok(json.Replace("'X-A':'1'", "'X-A':'2'")));
        Assert.NotEqual(a, Ok(json.Replace("'ro'", "'rw'")));
        Assert.NotEqual(a, Ok(json.Replace("[443]", "[444]")));
        Assert.NotEqual(a, a with { Ttl = 1 });
    }

    [Fact]
    public void OverrideToStringDoesNotShowValues()
    {
        var rule = Ok("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-Token':'s3cr3t'},'query':{'k':'v4lue'}}}]}").Egress[0];
        Assert.DoesNotContain("s3cr3t", rule.ToString());
        Assert.DoesNotContain("v4lue", rule.ToString());
        Assert.Contains("X-Token", rule.ToString());
    }
}
