using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class SecretHostsTests
{
    [Theory]
    [InlineData("api.example.com", "api.example.com", true)]
    [InlineData("api.example.com", "API.Example.com", true)]
    [InlineData("api.example.com", "api.example.com.", true)]
    [InlineData("api.example.com", "example.com", false)]
    [InlineData("api.example.com", "x.api.example.com", false)]
    [InlineData("api.example.com", "api.example.com.evil.test", false)]
    [InlineData("api.example.com", "evilapi.example.com", false)]
    [InlineData("api.example.com", "", false)]
    [InlineData("api.example.com", "api.example.com:443", false)]
    [InlineData("*.example.com", "example.com", true)]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com", true)]
    [InlineData("*.example.com", "A.Example.COM", true)]
    [InlineData("*.example.com", "badexample.com", false)]
    [InlineData("*.example.com", "example.com.evil.test", false)]
    [InlineData("*.example.com", "xexample.com", false)]
    [InlineData("*.example.com", ".example.com", false)]
    [InlineData("*.githubusercontent.com", "raw.githubusercontent.com", true)]
    [InlineData("*.githubusercontent.com", "objects.githubusercontent.com", true)]
    [InlineData("*.githubusercontent.com", "github.com", false)]
    [InlineData("github.com", "gist.github.com", false)]
    [InlineData("10.0.0.1", "10.0.0.1", true)]
    [InlineData("10.0.0.1", "10.0.0.2", false)]
    [InlineData("10.0.0.1", "0x0a000001", true)]
    [InlineData("::1", "[::1]", true)]
    [InlineData("::1", "0:0:0:0:0:0:0:1", true)]
    [InlineData("bücher.example", "xn--bcher-kva.example", true)]
    [InlineData("bücher.example", "BÜCHER.example", true)]
    [InlineData("api.example.com", "api.example.com/x", false)]
    [InlineData("api.example.com", "*.example.com", false)]
    public void MatchesRequestHosts(string pattern, string host, bool expected) =>
        Assert.Equal(expected, SecretHosts.Create([pattern]).Matches(host));

    [Fact]
    public void MatchesAnyOfSeveral()
    {
        var hosts = SecretHosts.Create(["api.github.com", "github.com", "*.githubusercontent.com"]);
        foreach (var host in new[] { "api.github.com", "github.com", "raw.githubusercontent.com", "githubusercontent.com" })
            Assert.True(hosts.Matches(host), host);
        foreach (var host in new[] { "uploads.github.com", "gist.github.com", "github.io", "evil.com" })
            Assert.False(hosts.Matches(host), host);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("0.0.0.0/0")]
    [InlineData("::/0")]
    [InlineData("x.com:80")]
    public void RefusesBroadOrBadPatterns(string pattern)
    {
        Assert.False(SecretHosts.TryCreate([pattern], out _, out var error));
        Assert.StartsWith("hosts[0] ", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SecretHosts.Create([pattern]));
    }

    [Fact]
    public void NeedsAtLeastOneHost() => Assert.False(SecretHosts.TryCreate([], out _, out _));
}
