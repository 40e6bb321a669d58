using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class SecretDefinitionTests
{
    private static SecretAuth Auth(string type, string? name = null, string? prefix = null, string? basicUser = null) =>
        new(Enum.Parse<SecretAuthType>(type, ignoreCase: true), name, prefix, basicUser);

    [Theory]
    [InlineData("anthropic", "anthropic")]
    [InlineData("my-key", "openai")]
    [InlineData("a", "github")]
    [InlineData("key.v2_prod-1", "GOOGLE")]
    [InlineData("0abc", "xai")]
    public void ProviderSecretsResolve(string name, string provider)
    {
        Assert.True(new SecretDefinition(name, provider).TryResolve(out var resolved, out var errors), string.Join("; ", errors));
        Assert.Equal(name, resolved.Name);
        Assert.Equal(provider.ToLowerInvariant(), resolved.Provider);
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("api.example.com", "bearer", null, null, "api.example.com")]
    [InlineData("API.Example.COM.", "bearer", null, "token ", "api.example.com")]
    [InlineData("*.example.com", "header", "X-Api-Key", null, "*.example.com")]
    [InlineData("api.example.com,*.cdn.example.com", "query", "api_key", null, "api.example.com,*.cdn.example.com")]
    [InlineData("api.example.com,api.example.com", "basic", null, null, "api.example.com")]
    [InlineData("git.example.com", "basic", "deploy", null, "git.example.com")]
    [InlineData("10.0.0.1", "bearer", null, null, "10.0.0.1")]
    [InlineData("[::1]", "bearer", null, null, "::1")]
    [InlineData("bücher.example", "bearer", null, null, "xn--bcher-kva.example")]
    public void CustomSecretsResolve(string hosts, string type, string? name, string? prefix, string expected)
    {
        var definition = new SecretDefinition("custom", Hosts: hosts.Split(','), Auth: Auth(type, name, prefix));
        Assert.True(definition.TryResolve(out var resolved, out var errors), string.Join("; ", errors));
        Assert.Equal(expected.Split(','), resolved.Hosts.Patterns);
        Assert.Null(resolved.Provider);
    }

    public static TheoryData<SecretDefinition, string, string> Invalid() => new()
    {
        { new("", "openai"), "name", "must be 1-128 characters" },
        { new("-x", "openai"), "name", "starting with a letter or digit" },
        { new("a b", "openai"), "name", "letters, digits" },
        { new("a/b", "openai"), "name", "letters, digits" },
        { new(new string('a', 129), "openai"), "name", "1-128" },
        { new("k", "aws"), "provider", "not a known provider" },
        { new("k", "openai", Hosts: ["x.com"]), "hosts", "must not be given with a provider" },
        { new("k", "openai", Auth: SecretAuth.Bearer), "auth", "must not be given with a provider" },
        { new("k"), "hosts", "at least one host" },
        { new("k", Hosts: [], Auth: SecretAuth.Bearer), "hosts", "at least one host" },
        { new("k", Hosts: ["x.com"]), "auth", "is required when no provider" },
        { new("k", Hosts: ["*"], Auth: SecretAuth.Bearer), "hosts[0]", "* would send the secret anywhere" },
        { new("k", Hosts: ["x.com", "10.0.0.0/8"], Auth: SecretAuth.Bearer), "hosts[1]", "must not be a CIDR" },
        { new("k", Hosts: ["x.com:443"], Auth: SecretAuth.Bearer), "hosts[0]", "must not include a port" },
        { new("k", Hosts: ["a.*.com"], Auth: SecretAuth.Bearer), "hosts[0]", "may use * only" },
        { new("k", Hosts: ["exa mple.com"], Auth: SecretAuth.Bearer), "hosts[0]", "whitespace" },
        { new("k", Hosts: [""], Auth: SecretAuth.Bearer), "hosts[0]", "must not be empty" },
        { new("k", Hosts: ["-x.com"], Auth: SecretAuth.Bearer), "hosts[0]", "must not start or end with -" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header)), "auth.name", "is required for type header" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "")), "auth.name", "is required for type header" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "X Key")), "auth.name", "valid header name" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "X:Key")), "auth.name", "valid header name" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "User-Agent")), "auth.name", "echoes back" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "cookie")), "auth.name", "echoes back" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "Host")), "auth.name", "echoes back" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "Referer")), "auth.name", "echoes back" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "Origin")), "auth.name", "echoes back" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Query)), "auth.name", "is required for type query" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Query, "a&b")), "auth.name", "query parameter name" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Query, "a=b")), "auth.name", "query parameter name" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Query, "a b")), "auth.name", "query parameter name" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Basic, "a:b")), "auth.name", "user name" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Basic, "")), "auth.name", "user name" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Basic, Prefix: "x")), "auth.prefix", "not used by type basic" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Bearer, "X-Key")), "auth.name", "not used by type bearer" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Bearer, Prefix: "a\nb")), "auth.prefix", "control characters" },
        { new("k", Hosts: ["x.com"], Auth: new((SecretAuthType)42)), "auth.type", "bearer, header, basic or query" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Header, "X-K", BasicUser: "u")), "auth.basicUser", "bearer only" },
        { new("k", Hosts: ["x.com"], Auth: new(SecretAuthType.Bearer, BasicUser: "a:b")), "auth.basicUser", "without :" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidDefinitionsNameTheField(SecretDefinition definition, string field, string message)
    {
        Assert.False(definition.TryResolve(out var resolved, out var errors));
        Assert.Null(resolved);
        Assert.Contains(errors, e => e.Field == field && e.Message.Contains(message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.StartsWith(e.Field + ": ", e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void ReportsEveryProblemAtOnce()
    {
        Assert.False(new SecretDefinition("bad name", Hosts: ["*"], Auth: new(SecretAuthType.Header)).TryResolve(out _, out var errors));
        Assert.Equal(["name", "hosts[0]", "auth.name"], errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("A1", true)]
    [InlineData("openai.prod", true)]
    [InlineData("my_key-2", true)]
    [InlineData("_x", false)]
    [InlineData(".x", false)]
    [InlineData("x y", false)]
    [InlineData("ключ", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void ValidatesNames(string? name, bool valid) => Assert.Equal(valid, SecretDefinition.IsValidName(name));
}
