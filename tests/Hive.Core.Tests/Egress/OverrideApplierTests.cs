using Hive.Core.Config;
using Hive.Core.Egress;

namespace Hive.Core.Tests.Egress;

public class OverrideApplierTests
{
    private const string Key = "sk-live-SECRET/42+x&y=z";

    private static OverrideApplier Applier(Dictionary<string, string>? query = null, Dictionary<string, string>? headers = null) =>
        new(new EgressOverride
        {
            Query = query ?? new Dictionary<string, string>(),
            Headers = headers ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
        });

    [Theory]
    [InlineData(null, "api_key=v")]
    [InlineData("", "api_key=v")]
    [InlineData("a=1", "a=1&api_key=v")]
    [InlineData("api_key=agent", "api_key=v")]
    [InlineData("a=1&api_key=agent&b=2", "a=1&api_key=v&b=2")]
    [InlineData("api_key=x&a=1&api_key=y", "api_key=v&a=1")]
    [InlineData("api%5Fkey=x&a=1", "api_key=v&a=1")]
    [InlineData("api%5fkey=x", "api_key=v")]
    [InlineData("api_key", "api_key=v")]
    [InlineData("api_key=", "api_key=v")]
    [InlineData("API_KEY=x", "API_KEY=x&api_key=v")]
    [InlineData("b=2&a=1", "b=2&a=1&api_key=v")]
    [InlineData("a=%2F%zz&api_key=1", "a=%2F%zz&api_key=v")]
    [InlineData("a=1&&b=2", "a=1&&b=2&api_key=v")]
    [InlineData("&a=1", "&a=1&api_key=v")]
    [InlineData("x=api_key", "x=api_key&api_key=v")]
    public void RewritesTheQuery(string? query, string expected) =>
        Assert.Equal(expected, Applier(new() { ["api_key"] = "v" }).RewriteQuery(query));

    [Fact]
    public void SeveralParametersKeepTheOverrideOrderWhenAppended()
    {
        var applier = Applier(new() { ["k1"] = "1", ["k2"] = "2", ["k3"] = "3" });
        Assert.Equal("k2=2&x=0&k1=1&k3=3", applier.RewriteQuery("k2=old&x=0&k1=old"));
        Assert.Equal("k1=1&k2=2&k3=3", applier.RewriteQuery(null));
    }

    [Theory]
    [InlineData("key", "a b", "key=a%20b")]
    [InlineData("key", "a+b", "key=a%2Bb")]
    [InlineData("key", "a&b=c", "key=a%26b%3Dc")]
    [InlineData("key", "é", "key=%C3%A9")]
    [InlineData("key", "a/b?c#d", "key=a%2Fb%3Fc%23d")]
    [InlineData("key", "~-._", "key=~-._")]
    [InlineData("my key", "v", "my%20key=v")]
    [InlineData("k&x", "v", "k%26x=v")]
    [InlineData("key", "", "key=")]
    public void PercentEncodesNamesAndValues(string name, string value, string expected) =>
        Assert.Equal(expected, Applier(new() { [name] = value }).RewriteQuery(null));

    [Fact]
    public void FindsEncodedNamesInTheRequest()
    {
        Assert.Equal("my%20key=v", Applier(new() { ["my key"] = "v" }).RewriteQuery("my+key=agent"));
        Assert.Equal("my%20key=v", Applier(new() { ["my key"] = "v" }).RewriteQuery("my%20key=agent"));
        Assert.Equal("k%C3%A9=v", Applier(new() { ["ké"] = "v" }).RewriteQuery("k%c3%a9=agent"));
    }

    [Fact]
    public void WithoutQueryOverrideTheQueryIsUntouched()
    {
        var applier = Applier(headers: new(StringComparer.OrdinalIgnoreCase) { ["X-Token"] = "t" });
        const string query = "a=1&b=2";
        Assert.Same(query, applier.RewriteQuery(query));
        Assert.Null(applier.RewriteQuery(null));
        Assert.False(applier.HasQuery);
    }

    [Fact]
    public void HeadersAreSetAndRecognisedInAnyCase()
    {
        var applier = Applier(headers: new(StringComparer.OrdinalIgnoreCase) { ["X-Token"] = "secret-token", ["X-Org"] = "o" });
        Assert.Equal([new("X-Token", "secret-token"), new("X-Org", "o")], applier.Headers);
        Assert.True(applier.IsOverriddenHeader("x-token"));
        Assert.True(applier.IsOverriddenHeader("X-ORG"));
        Assert.False(applier.IsOverriddenHeader("X-Other"));
        Assert.Equal("***", applier.RedactHeader("x-token", "secret-token"));
        Assert.Equal("fine", applier.RedactHeader("accept", "fine"));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData("a=1", "a=1")]
    [InlineData("api_key=agent", "api_key=***")]
    [InlineData("a=1&api_key=x&b=2", "a=1&api_key=***&b=2")]
    [InlineData("api%5Fkey=x", "api%5Fkey=***")]
    [InlineData("api_key", "api_key=***")]
    [InlineData("api_key=1&api_key=2", "api_key=***&api_key=***")]
    [InlineData("a=1&&b", "a=1&&b")]
    public void RedactsTheQuery(string? query, string? expected) =>
        Assert.Equal(expected, Applier(new() { ["api_key"] = Key }).RedactQuery(query));

    [Fact]
    public void ValuesNeverSurviveRedaction()
    {
        var applier = Applier(new() { ["api_key"] = Key, ["token"] = "tok en" },
            new(StringComparer.OrdinalIgnoreCase) { ["X-Token"] = "header-secret-123" });
        var forwarded = applier.RewriteQuery("q=search&api_key=agent")!;
        Assert.Contains(Uri.EscapeDataString(Key), forwarded);
        var queries = new[]
        {
            forwarded,
            "q=" + Uri.EscapeDataString(Key),
            "q=" + Key,
            "a=header-secret-123&b=" + System.Net.WebUtility.UrlEncode(Key),
            "x=tok%20en&y=tok+en",
        };
        foreach (var query in queries)
        {
            var redacted = applier.RedactQuery(query)!;
            foreach (var form in new[] { Key, Uri.EscapeDataString(Key), System.Net.WebUtility.UrlEncode(Key), "header-secret-123", "tok%20en", "tok+en" })
                Assert.DoesNotContain(form, redacted);
        }
        Assert.Equal("q=search&api_key=***&token=***", applier.RedactQuery(forwarded));
        Assert.Equal("q=*** and ***", applier.ScrubValues($"q={Key} and header-secret-123"));
        Assert.Equal("a=1", OverrideApplier.RedactQuery("a=1", null));
    }

    [Fact]
    public void ThePolicyHandsOutEachRulesOverride()
    {
        var config = Hive.Core.Tests.Config.TestConfig.Ok(
            "{'egress':[{'access':'allow','host':'a.test'},{'access':'allow','host':'b.test','override':{'query':{'key':'v'},'headers':{'X-A':'h'}}}]}");
        var policy = EgressPolicy.Compile(config);
        Assert.Null(policy.GetOverride(0));
        var applier = policy.GetOverride(1)!;
        Assert.Equal("key=v", applier.RewriteQuery(null));
        Assert.True(applier.IsOverriddenHeader("x-a"));
    }
}
