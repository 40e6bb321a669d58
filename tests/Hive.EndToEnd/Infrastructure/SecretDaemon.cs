using System.Security.Cryptography;
using System.Text;
using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// A daemon with secrets stored before its sandbox was created: a global catalogue secret (openai, whose host
/// api.openai.com points at the loopback upstream), a custom header secret on api.example.test and a Basic secret on
/// git.example.test (a real git smart-HTTP server that demands exactly the real credentials). The real values are
/// random per run and never given to the sandbox.
/// </summary>
public sealed class SecretDaemon() : UpstreamDaemon("git.example.test", "api.openai.com")
{
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public string ApiKey { get; } = "sk-live-" + RandomText(40);
    public string GitToken { get; } = "ghp_" + RandomText(36);
    public string OpenAiKey { get; } = "sk-proj-" + RandomText(64);

    public IEnumerable<string> RealValues => [ApiKey, GitToken, OpenAiKey];

    public string GitAuthorization => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + GitToken));

    protected override async Task<Sandbox> CreateSandboxAsync()
    {
        await Hive.Secrets.CreateAsync(new SecretCreateOptions { Name = "openai", Value = OpenAiKey, Provider = "openai", Global = true });
        await Hive.Secrets.CreateAsync(new SecretCreateOptions
        {
            Name = "api-key", Value = ApiKey, Hosts = ["api.example.test"], Auth = SecretAuth.Header("X-Api-Key"),
        });
        await Hive.Secrets.CreateAsync(new SecretCreateOptions
        {
            Name = "git-token", Value = GitToken, Hosts = ["git.example.test"], Auth = SecretAuth.Basic("x-access-token"),
        });
        Upstream.Git.CreateBareRepository("repo.git");
        Upstream.Git.RequiredAuthorization = GitAuthorization;
        return await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("secrets"), new SandboxConfig
        {
            Image = "hive/base",
            Secrets = new() { ["API_KEY"] = "api-key", ["GIT_TOKEN"] = "git-token" },
            Egress = [.. new[] { "api.example.test", "other.example.test", "git.example.test", "api.openai.com" }.Select(h => EgressRule.Allow(h))],
        });
    }

    /// <summary>Adds (or with null, removes) one env → secret binding through applyConfig.</summary>
    public async Task<ApplyResult> BindAsync(string variable, string? secret)
    {
        var config = await Sandbox.GetConfigAsync();
        config.Secrets ??= [];
        if (secret is null) config.Secrets.Remove(variable);
        else config.Secrets[variable] = secret;
        return await Sandbox.ApplyConfigAsync(config);
    }

    /// <summary>Every form a value could leak in: as is, percent-encoded, and inside Basic credentials.</summary>
    public IEnumerable<string> LeakForms()
    {
        foreach (var v in RealValues)
        {
            yield return v;
            yield return Uri.EscapeDataString(v);
            yield return Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + v));
            yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(v + ":"));
        }
    }

    public void AssertNoValue(string text, string where)
    {
        foreach (var form in LeakForms())
            Assert.False(text.Contains(form, StringComparison.Ordinal), $"a real secret value appears in {where}");
    }

    private static string RandomText(int length) => RandomNumberGenerator.GetString(Alnum, length);
}

[CollectionDefinition("secrets")]
public sealed class SecretCollection : ICollectionFixture<SecretDaemon>;
