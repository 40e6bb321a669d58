using System.Text;
using Hive.Core.Config;
using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public sealed class SecretRequestsTests
{
    private const string Value = "sk-proj-zyxwvutsrqponmlkjihgfedcba9876543210";

    private static (SecretSetRequest? Request, IReadOnlyList<ConfigError> Errors) Set(string json, string name = "my-api") =>
        (SecretRequests.ParseSet(name, Encoding.UTF8.GetBytes(json), out var errors), errors);

    [Fact]
    public void A_provider_secret_and_a_custom_one_parse()
    {
        var (p, e) = Set($$"""{ "value": "{{Value}}", "provider": "openai", "global": true }""", "openai");
        Assert.Empty(e);
        Assert.Equal(("openai", true, (string?)null), (p!.Provider, p.Global, p.Sandbox));
        var (c, e2) = Set($$"""{ "value": "{{Value}}", "hosts": ["api.example.com"], "auth": { "type": "header", "name": "X-Api-Key" }, "sandbox": "box-1" }""");
        Assert.Empty(e2);
        Assert.Equal(new SecretAuth(SecretAuthType.Header, "X-Api-Key"), c!.Auth);
        Assert.Equal("box-1", c.Sandbox);
        Assert.DoesNotContain(Value, c.ToString());
    }

    [Theory]
    [InlineData("""{ "provider": "openai" }""", "value")]
    [InlineData("""{ "value": "", "provider": "openai" }""", "value")]
    [InlineData("""{ "value": 12, "provider": "openai" }""", "value")]
    [InlineData("""{ "value": "a\nb", "provider": "openai" }""", "value")]
    [InlineData("""{ "value": " padded", "provider": "openai" }""", "value")]
    [InlineData("""{ "value": "abc", "provider": "nope" }""", "provider")]
    [InlineData("""{ "value": "abc", "provider": "openai", "hosts": ["a.example"] }""", "hosts")]
    [InlineData("""{ "value": "abc" }""", "hosts")]
    [InlineData("""{ "value": "abc", "hosts": ["*"], "auth": { "type": "bearer" } }""", "hosts[0]")]
    [InlineData("""{ "value": "abc", "hosts": ["10.0.0.0/8"], "auth": { "type": "bearer" } }""", "hosts[0]")]
    [InlineData("""{ "value": "abc", "hosts": [1], "auth": { "type": "bearer" } }""", "hosts[0]")]
    [InlineData("""{ "value": "abc", "hosts": "a.example", "auth": { "type": "bearer" } }""", "hosts")]
    [InlineData("""{ "value": "abc", "hosts": ["a.example"] }""", "auth")]
    [InlineData("""{ "value": "abc", "hosts": ["a.example"], "auth": { "type": "cookie" } }""", "auth.type")]
    [InlineData("""{ "value": "abc", "hosts": ["a.example"], "auth": { "type": "1" } }""", "auth.type")]
    [InlineData("""{ "value": "abc", "hosts": ["a.example"], "auth": { "type": "header" } }""", "auth.name")]
    [InlineData("""{ "value": "abc", "hosts": ["a.example"], "auth": { "type": "header", "name": "User-Agent" } }""", "auth.name")]
    [InlineData("""{ "value": "abc", "hosts": ["a.example"], "auth": { "type": "query" } }""", "auth.name")]
    [InlineData("""{ "value": "abc", "hosts": ["a.example"], "auth": { "type": "bearer", "extra": 1 } }""", "auth.extra")]
    [InlineData("""{ "value": "abc", "provider": "openai", "global": "yes" }""", "global")]
    [InlineData("""{ "value": "abc", "provider": "openai", "global": true, "sandbox": "box" }""", "global")]
    [InlineData("""{ "value": "abc", "provider": "openai", "sandbox": "bad name" }""", "sandbox")]
    [InlineData("""{ "value": "abc", "provider": "openai", "scope": "global" }""", "scope")]
    [InlineData("""[ "abc" ]""", "$")]
    [InlineData("""{ "value": "abc" """, "$")]
    public void Each_error_names_its_field(string json, string field)
    {
        var (request, errors) = Set(json);
        Assert.Null(request);
        Assert.Contains(errors, e => e.Path == field);
    }

    [Fact]
    public void Every_error_is_reported_at_once_and_none_quotes_the_value()
    {
        var (_, errors) = Set($$"""{ "value": "{{Value}}\u0000", "hosts": ["*"], "auth": { "type": "header" }, "unknown": true }""");
        Assert.Equal(["unknown", "value", "auth.name", "hosts[0]"], errors.Select(e => e.Path).OrderBy(p => p == "unknown" ? 0 : p == "value" ? 1 : p == "auth.name" ? 2 : 3).ToArray());
        Assert.All(errors, e => Assert.DoesNotContain(Value, e.ToString()));
        var (_, broken) = Set($$"""{ "value": "{{Value}}" """);
        Assert.DoesNotContain(Value, Assert.Single(broken).Message);
    }

    [Fact]
    public void Rotate_takes_a_value_and_an_optional_sandbox()
    {
        var ok = SecretRequests.ParseRotate(Encoding.UTF8.GetBytes($$"""{ "value": "{{Value}}", "sandbox": "box" }"""), out var none);
        Assert.Empty(none);
        Assert.Equal((Value, (string?)"box"), ok);
        Assert.Null(SecretRequests.ParseRotate(Encoding.UTF8.GetBytes("""{ "value": "" }"""), out var errors));
        Assert.Equal("value", Assert.Single(errors).Path);
        Assert.Null(SecretRequests.ParseRotate(Encoding.UTF8.GetBytes("""{ "value": "x", "provider": "openai" }"""), out var unknown));
        Assert.Equal("provider", Assert.Single(unknown).Path);
    }

    [Theory]
    [InlineData("4xx", 400, 499)]
    [InlineData("2XX", 200, 299)]
    [InlineData("403", 403, 403)]
    public void Activity_status_filters_parse(string text, int min, int max)
    {
        Assert.True(ActivityStatusFilter.TryParse(text, out var f, out _));
        Assert.Equal(new ActivityStatusFilter(min, max), f);
    }

    [Theory]
    [InlineData("6xx")]
    [InlineData("4x")]
    [InlineData("0")]
    [InlineData("99")]
    [InlineData("700")]
    [InlineData("x4x")]
    public void Bad_status_filters_are_refused(string text) => Assert.False(ActivityStatusFilter.TryParse(text, out _, out _));
}
