using Hive.Core.Events;

namespace Hive.Core.Tests.Events;

public class EventTypeFilterTests
{
    [Theory]
    [InlineData(null, "sandbox.created", true)]
    [InlineData("", "sandbox.created", true)]
    [InlineData("   ", "egress.request", true)]
    [InlineData(",,", "egress.request", true)]
    [InlineData("*", "anything.at.all", true)]
    [InlineData("**", "fs.request", true)]
    [InlineData("egress.*,*", "fs.request", true)]
    [InlineData("sandbox.created", "sandbox.created", true)]
    [InlineData("sandbox.created", "sandbox.stopped", false)]
    [InlineData("sandbox.created", "sandbox.created.x", false)]
    [InlineData("sandbox.created", "xsandbox.created", false)]
    [InlineData("egress.*,fs.*", "egress.request", true)]
    [InlineData("egress.*,fs.*", "egress.response", true)]
    [InlineData("egress.*,fs.*", "fs.response", true)]
    [InlineData("egress.*,fs.*", "dns.query", false)]
    [InlineData("egress.*,fs.*", "egress", false)]
    [InlineData("egress.*", "egress.", true)]
    [InlineData("egress*", "egress.request", true)]
    [InlineData("*.request", "exec.request", true)]
    [InlineData("*.request", "exec.response", false)]
    [InlineData("*request*", "egress.request", true)]
    [InlineData("s*.*d", "sandbox.created", true)]
    [InlineData("s*.*d", "secret.used", true)]
    [InlineData("s*.*d", "secret.misuse", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "abc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    [InlineData("a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData(" egress.* , fs.* ", "fs.request", true)]
    [InlineData("EGRESS.*", "egress.request", true)]
    [InlineData("egress.request", "EGRESS.REQUEST", true)]
    [InlineData("fs.?", "fs.?", true)]
    [InlineData("fs.?", "fs.a", false)]
    public void Matches(string? filter, string type, bool expected) =>
        Assert.Equal(expected, EventTypeFilter.Parse(filter).Matches(type));

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData(" , ", true)]
    [InlineData("*", true)]
    [InlineData("fs.*, *", true)]
    [InlineData("fs.*", false)]
    [InlineData("sandbox.created", false)]
    public void MatchesAll(string? filter, bool expected) => Assert.Equal(expected, EventTypeFilter.Parse(filter).MatchesAll);

    [Fact]
    public void PatternsAreTrimmedAndDeduplicated() =>
        Assert.Equal(["egress.*", "fs.*"], EventTypeFilter.Parse(" egress.* ,fs.*,, EGRESS.* ").Patterns);

    [Fact]
    public void ToStringJoinsPatterns()
    {
        Assert.Equal("egress.*,fs.*", EventTypeFilter.Parse("egress.*, fs.*").ToString());
        Assert.Equal("*", EventTypeFilter.Parse(null).ToString());
    }
}
