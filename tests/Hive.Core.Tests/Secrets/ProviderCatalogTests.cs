using Hive.Core.Config;
using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class ProviderCatalogTests
{
    [Theory]
    [InlineData("anthropic", "ANTHROPIC_API_KEY", "api.anthropic.com", SecretAuthType.Header, "x-api-key")]
    [InlineData("openai", "OPENAI_API_KEY", "api.openai.com", SecretAuthType.Bearer, null)]
    [InlineData("github", "GH_TOKEN,GITHUB_TOKEN", "api.github.com,github.com,*.githubusercontent.com", SecretAuthType.Bearer, null)]
    [InlineData("google", "GEMINI_API_KEY,GOOGLE_API_KEY", "generativelanguage.googleapis.com", SecretAuthType.Header, "x-goog-api-key")]
    [InlineData("groq", "GROQ_API_KEY", "api.groq.com", SecretAuthType.Bearer, null)]
    [InlineData("mistral", "MISTRAL_API_KEY", "api.mistral.ai", SecretAuthType.Bearer, null)]
    [InlineData("xai", "XAI_API_KEY", "api.x.ai", SecretAuthType.Bearer, null)]
    [InlineData("openrouter", "OPENROUTER_API_KEY", "openrouter.ai", SecretAuthType.Bearer, null)]
    public void HasEveryProvider(string name, string envVars, string hosts, SecretAuthType type, string? header)
    {
        var provider = ProviderCatalog.Find(name);
        Assert.NotNull(provider);
        Assert.Equal(name, provider.Name);
        Assert.Equal(envVars.Split(','), provider.EnvVars);
        Assert.Equal(hosts.Split(','), provider.Hosts);
        Assert.Equal(type, provider.Auth.Type);
        Assert.Equal(header, provider.Auth.Name);
        foreach (var env in provider.EnvVars) Assert.Same(provider, ProviderCatalog.FindByEnvVar(env));
    }

    [Fact]
    public void HasExactlyTheCataloguedProviders() =>
        Assert.Equal(["anthropic", "openai", "github", "google", "groq", "mistral", "xai", "openrouter"], ProviderCatalog.Names);

    [Theory]
    [InlineData("ANTHROPIC")]
    [InlineData("OpenAI")]
    [InlineData("GitHub")]
    public void FindsNamesInAnyCase(string name) => Assert.NotNull(ProviderCatalog.Find(name));

    [Theory]
    [InlineData("")]
    [InlineData("gemini")]
    [InlineData("anthropic ")]
    [InlineData("aws")]
    public void UnknownNamesAreNull(string name) => Assert.Null(ProviderCatalog.Find(name));

    [Theory]
    [InlineData("anthropic_api_key")]
    [InlineData("HOME")]
    [InlineData("")]
    public void UnknownEnvVarsAreNull(string env) => Assert.Null(ProviderCatalog.FindByEnvVar(env));

    [Fact]
    public void HostsAreNormalisedAndResolvable()
    {
        foreach (var provider in ProviderCatalog.All)
        {
            foreach (var host in provider.Hosts)
            {
                Assert.True(HostPattern.TryNormalize(host, out var normalized, out _));
                Assert.Equal(host, normalized);
            }
            Assert.True(new SecretDefinition("x", provider.Name).TryResolve(out var resolved, out var errors), string.Join("; ", errors));
            Assert.Equal(provider.Hosts, resolved.Hosts.Patterns);
            Assert.Same(provider.Auth, resolved.Auth);
        }
    }

    [Fact]
    public void EnvVarsAreUniqueAcrossProviders()
    {
        var all = ProviderCatalog.All.SelectMany(p => p.EnvVars).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(all, v => Assert.Matches("^[A-Z][A-Z0-9_]*$", v));
    }

    [Fact]
    public void GithubAlsoTakesBasicForGit() => Assert.Equal("x-access-token", ProviderCatalog.Find("github")!.Auth.BasicUser);

    [Fact]
    public void OnlyGithubTakesBasic() =>
        Assert.Equal(["github"], ProviderCatalog.All.Where(p => p.Auth.BasicUser is not null).Select(p => p.Name));

    [Fact]
    public void NoProviderSendsCookies() =>
        Assert.All(ProviderCatalog.All, p => Assert.NotEqual("cookie", p.Auth.HeaderName?.ToLowerInvariant()));

    [Theory]
    [InlineData(SecretAuthType.Bearer, null, null, "v", "Bearer v")]
    [InlineData(SecretAuthType.Bearer, null, "token ", "v", "token v")]
    [InlineData(SecretAuthType.Bearer, null, "", "v", "v")]
    [InlineData(SecretAuthType.Header, "X-Api-Key", null, "v", "v")]
    [InlineData(SecretAuthType.Header, "X-Api-Key", "Key ", "v", "Key v")]
    [InlineData(SecretAuthType.Query, "key", null, "v", "v")]
    [InlineData(SecretAuthType.Basic, null, null, "user:pass", "Basic dXNlcjpwYXNz")]
    [InlineData(SecretAuthType.Basic, null, null, "sk_live", "Basic c2tfbGl2ZTo=")]
    [InlineData(SecretAuthType.Basic, "api", null, "k", "Basic YXBpOms=")]
    public void RendersTheScheme(SecretAuthType type, string? name, string? prefix, string value, string expected) =>
        Assert.Equal(expected, new SecretAuth(type, name, prefix).Render(value));

    [Theory]
    [InlineData(SecretAuthType.Bearer, null, "Authorization")]
    [InlineData(SecretAuthType.Basic, null, "Authorization")]
    [InlineData(SecretAuthType.Header, "X-K", "X-K")]
    [InlineData(SecretAuthType.Query, "k", null)]
    public void NamesTheHeader(SecretAuthType type, string? name, string? header) =>
        Assert.Equal(header, new SecretAuth(type, name).HeaderName);
}
