using Hive.Core.Config;
using static Hive.Core.Tests.Config.TestConfig;

namespace Hive.Core.Tests.Config;

public class ConfigDiffTests
{
    private const string Base =
        "{'image':'hive/base','env':{'MODE':'env-VALUE-1'},'secrets':{'OPENAI_API_KEY':'openai','ANTHROPIC_API_KEY':'anthropic-prod'}," +
        "'fs':[{'backend':'local','mount':'/workspace'},{'backend':'local','mount':'/data','volume':'shared'}]," +
        "'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-Token':'ovr-VALUE-1'}}},{'access':'deny','host':'*'}]," +
        "'ttl':1800,'resources':{'cpus':1,'memoryMb':1024,'pids':512}}";

    private static ConfigComparison Compare(string proposedJson, string currentJson = Base) =>
        ConfigDiff.Compare(Ok(currentJson), Ok(proposedJson));

    [Fact]
    public void IdenticalConfigsHaveNoChanges()
    {
        var comparison = Compare(Base);
        Assert.Empty(comparison.Changes);
        Assert.Empty(comparison.ImmutableViolations);
        Assert.False(comparison.HasChanges);
    }

    [Theory]
    [InlineData("'ttl':1800", "'ttl':600", "ttl: 1800 -> 600")]
    [InlineData("'memoryMb':1024", "'memoryMb':2048", "resources.memoryMb: 1024 -> 2048")]
    [InlineData("'cpus':1", "'cpus':2.5", "resources.cpus: 1 -> 2.5")]
    [InlineData("'pids':512", "'pids':64", "resources.pids: 512 -> 64")]
    [InlineData("'OPENAI_API_KEY':'openai'", "'GITHUB_TOKEN':'gh'", "secrets: +GITHUB_TOKEN -OPENAI_API_KEY")]
    [InlineData("'anthropic-prod'", "'anthropic-dev'", "secrets: ~ANTHROPIC_API_KEY")]
    [InlineData("{'backend':'local','mount':'/workspace'}", "{'backend':'local','mount':'/workspace','acls':[{'path':'/workspace/**','access':'ro'}]}", "fs[0].acls changed")]
    [InlineData("{'access':'deny','host':'*'}", "{'access':'deny','host':'*'},{'access':'allow','host':'c.com'}", "egress: 2 rules -> 3 rules")]
    [InlineData(",{'access':'deny','host':'*'}", "", "egress: 2 rules -> 1 rule")]
    [InlineData("'host':'a.com'", "'host':'b.com'", "egress[0] changed (host)")]
    [InlineData("'ovr-VALUE-1'", "'ovr-VALUE-2'", "egress[0] changed (override)")]
    [InlineData("{'access':'deny','host':'*'}", "{'access':'allow','host':'*','ports':[80]}", "egress[1] changed (access, ports)")]
    public void MutableChanges(string from, string to, string expected)
    {
        var proposed = Base.Replace(from, to);
        Assert.NotEqual(Base, proposed);
        var comparison = Compare(proposed);
        Assert.Equal([expected], comparison.Changes);
        Assert.Empty(comparison.ImmutableViolations);
    }

    [Fact]
    public void SeveralChangesAreAllListed()
    {
        var comparison = Compare(Base.Replace("'ttl':1800", "'ttl':60").Replace("'pids':512", "'pids':1000").Replace("'host':'a.com'", "'host':'b.com'"));
        Assert.Equal(["egress[0] changed (host)", "ttl: 1800 -> 60", "resources.pids: 512 -> 1000"], comparison.Changes);
    }

    [Fact]
    public void ObjectStoreBucketAndCredentialsAreImmutable()
    {
        const string before = "{'fs':[{'backend':'s3','mount':'/d','bucket':'abc','credentials':'k1'}]}";
        var violations = ConfigDiff.Compare(Ok(before), Ok(before.Replace("'abc'", "'abd'").Replace("'k1'", "'k2'"))).ImmutableViolations;
        Assert.Contains(new ConfigError("fs[0].bucket", "cannot change after creation (was \"abc\")"), violations);
        Assert.Contains(new ConfigError("fs[0].credentials", "cannot change after creation (was \"k1\")"), violations);
    }

    [Fact]
    public void EgressFromNothing() =>
        Assert.Equal(["egress: 0 rules -> 1 rule"], ConfigDiff.Compare(Ok(""), Ok("{'egress':[{'access':'allow','host':'a.com'}]}")).Changes);

    [Theory]
    [InlineData("'image':'hive/base'", "'image':'myorg/tool'", "image", "cannot change after creation (was \"hive/base\")")]
    [InlineData("'MODE':'env-VALUE-1'", "'MODE':'env-VALUE-2'", "env", "cannot change after creation (~MODE)")]
    [InlineData("'env':{'MODE':'env-VALUE-1'}", "'env':{'MODE':'env-VALUE-1','NEW':'x'}", "env", "cannot change after creation (+NEW)")]
    [InlineData("'env':{'MODE':'env-VALUE-1'}", "'env':{}", "env", "cannot change after creation (-MODE)")]
    [InlineData("{'backend':'local','mount':'/data','volume':'shared'}", "{'backend':'local','mount':'/data','volume':'other'}", "fs[1].volume", "cannot change after creation (was \"shared\")")]
    [InlineData("{'backend':'local','mount':'/data','volume':'shared'}", "{'backend':'local','mount':'/data','origin':'/srv/data'}", "fs[1].origin", "cannot change after creation (was not set)")]
    [InlineData("{'backend':'local','mount':'/data','volume':'shared'}", "{'backend':'azure','mount':'/data','container':'abc','credentials':'k'}", "fs[1].backend", "cannot change after creation (was \"local\")")]
    [InlineData("{'backend':'local','mount':'/data','volume':'shared'}", "{'backend':'azure','mount':'/data','container':'abc','credentials':'k'}", "fs[1].container", "cannot change after creation (was not set)")]
    [InlineData(",{'backend':'local','mount':'/data','volume':'shared'}", ",{'backend':'local','mount':'/other','volume':'shared'}", "fs", "mounts cannot be added or removed after creation (+/other -/data)")]
    [InlineData(",{'backend':'local','mount':'/data','volume':'shared'}", "", "fs", "mounts cannot be added or removed after creation (-/data)")]
    [InlineData(",{'backend':'local','mount':'/data','volume':'shared'}", ",{'backend':'local','mount':'/data','volume':'shared'},{'backend':'local','mount':'/x'}", "fs", "(+/x)")]
    public void ImmutableViolations(string from, string to, string path, string message)
    {
        var proposed = Base.Replace(from, to);
        Assert.NotEqual(Base, proposed);
        AssertError(Compare(proposed).ImmutableViolations, path, message);
    }

    [Fact]
    public void AzurePrefixIsImmutable()
    {
        const string azure = "{'fs':[{'backend':'azure','mount':'/b','container':'abc','prefix':'p1','credentials':'k'}]}";
        AssertError(ConfigDiff.Compare(Ok(azure), Ok(azure.Replace("p1", "p2"))).ImmutableViolations, "fs[0].prefix", "(was \"p1\")");
        AssertError(ConfigDiff.Compare(Ok(azure), Ok(azure.Replace("abc", "abd"))).ImmutableViolations, "fs[0].container", "(was \"abc\")");
    }

    [Fact]
    public void DefaultVolumeDependsOnTheSandboxSoTheSameBodyIsStillTheSameConfig()
    {
        var created = Ok("{'fs':[{'backend':'local','mount':'/w'}]}");
        var reapplied = Ok("{'fs':[{'backend':'local','mount':'/w'}]}");
        Assert.Empty(ConfigDiff.Compare(created, reapplied).ImmutableViolations);
        AssertError(ConfigDiff.Compare(created, Ok("{'fs':[{'backend':'local','mount':'/w'}]}", "box2")).ImmutableViolations,
            "fs[0].volume", "(was \"box1-w\")");
    }

    [Fact]
    public void ReorderedMountsAreAChangeNotAViolation()
    {
        var reordered = "{'image':'hive/base','env':{'MODE':'env-VALUE-1'},'secrets':{'OPENAI_API_KEY':'openai','ANTHROPIC_API_KEY':'anthropic-prod'}," +
                        "'fs':[{'backend':'local','mount':'/data','volume':'shared','acls':[]},{'backend':'local','mount':'/workspace'}]," +
                        "'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-Token':'ovr-VALUE-1'}}},{'access':'deny','host':'*'}]," +
                        "'ttl':1800,'resources':{'cpus':1,'memoryMb':1024,'pids':512}}";
        var comparison = Compare(reordered);
        Assert.Empty(comparison.ImmutableViolations);
        Assert.Equal(["fs[0].acls changed", "fs: mounts reordered"], comparison.Changes);
    }

    [Fact]
    public void ImmutableChangesAreNotListedAsChanges()
    {
        var comparison = Compare(Base.Replace("'image':'hive/base'", "'image':'other'").Replace("'ttl':1800", "'ttl':1"));
        Assert.Equal(["ttl: 1800 -> 1"], comparison.Changes);
        Assert.Single(comparison.ImmutableViolations);
        Assert.True(comparison.HasChanges);
    }

    [Fact]
    public void ChangesAndViolationsNeverShowEnvOrOverrideValues()
    {
        var proposed = Base.Replace("env-VALUE-1", "env-VALUE-2").Replace("ovr-VALUE-1", "ovr-VALUE-2")
            .Replace("'env':{", "'env':{'ADDED':'env-VALUE-3',");
        var comparison = Compare(proposed);
        var text = string.Join("\n", comparison.Changes.Concat(comparison.ImmutableViolations.Select(v => v.ToString())));
        Assert.DoesNotContain("VALUE", text);
        Assert.Contains("egress[0] changed (override)", comparison.Changes);
        AssertError(comparison.ImmutableViolations, "env", "(+ADDED ~MODE)");
    }
}
