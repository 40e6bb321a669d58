using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// A daemon with secrets stored before its sandbox was created: a global catalogue secret (openai, whose host
/// api.openai.com points at the loopback upstream), a custom header secret on api.example.test and a Basic secret on
/// git.example.test (a real git smart-HTTP server that demands exactly the real credentials). The real values are
/// random per run and never given to the sandbox.
/// </summary>
public sealed class SecretDaemon : IAsyncLifetime
{
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public string ApiKey { get; } = "sk-live-" + RandomText(40);
    public string GitToken { get; } = "ghp_" + RandomText(36);
    public string OpenAiKey { get; } = "sk-proj-" + RandomText(64);

    public IEnumerable<string> RealValues => [ApiKey, GitToken, OpenAiKey];

    public TestUpstream Upstream { get; private set; } = null!;
    public DaemonProcess Daemon { get; private set; } = null!;
    public HiveConnection Hive { get; private set; } = null!;
    public Sandbox Sandbox { get; private set; } = null!;

    public string GitAuthorization => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + GitToken));

    private string? _caFile;

    public async Task InitializeAsync()
    {
        // xunit does not dispose a fixture whose start failed: clean up here, or a daemon and its sandbox outlive the run.
        try
        {
            Upstream = await TestUpstream.StartAsync("git.example.test", "api.openai.com");
            _caFile = Path.Combine(Path.GetTempPath(), $"hive-upstream-ca-{Guid.NewGuid():N}.pem");
            await File.WriteAllTextAsync(_caFile, Upstream.CaPem);
            Daemon = await DaemonProcess.StartAsync(upstream: Upstream.UpstreamSettings(_caFile), withBaseImage: true);
            Hive = Daemon.Connect();
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
            Sandbox = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("secrets"), new SandboxConfig
            {
                Image = "hive/base",
                Secrets = new() { ["API_KEY"] = "api-key", ["GIT_TOKEN"] = "git-token" },
                Egress = [.. new[] { "api.example.test", "other.example.test", "git.example.test", "api.openai.com" }.Select(h => EgressRule.Allow(h))],
            });
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a shell line in the sandbox, with $HTTPS and $HTTP standing for the upstream's ports.</summary>
    public Task<ExecResult> ShAsync(string line, int timeoutMs = 60_000) =>
        Sandbox.ExecAsync(new ExecRequest
        {
            Command = new ExecCommand(["bash", "-c", line]),
            Env = new() { ["HTTPS"] = Upstream.HttpsPort.ToString(), ["HTTP"] = Upstream.HttpPort.ToString() },
            TimeoutMs = timeoutMs,
        });

    /// <summary>Adds (or with null, removes) one env → secret binding through applyConfig.</summary>
    public async Task<ApplyResult> BindAsync(string variable, string? secret)
    {
        var config = await Sandbox.GetConfigAsync();
        config.Secrets ??= [];
        if (secret is null) config.Secrets.Remove(variable);
        else config.Secrets[variable] = secret;
        return await Sandbox.ApplyConfigAsync(config);
    }

    public async Task<long> LastEventIdAsync()
    {
        var all = await Hive.GetEventsAsync(limit: 10_000);
        return all.Count == 0 ? 0 : all[^1].Id;
    }

    public async Task<IReadOnlyList<SandboxEvent>> EventsAfterAsync(long after, string types) =>
        await Sandbox.GetEventsAsync(types: types, after: after);

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

    public static JsonNode Json(string text) => JsonNode.Parse(text)!;

    public async Task DisposeAsync()
    {
        if (Sandbox is not null) try { await Sandbox.DeleteAsync(); } catch (HiveException) { }
        Hive?.Dispose();
        if (Daemon is not null) await Daemon.DisposeAsync();
        if (Upstream is not null) await Upstream.DisposeAsync();
        if (_caFile is not null) File.Delete(_caFile);
    }

    private static string RandomText(int length) => RandomNumberGenerator.GetString(Alnum, length);
}

[CollectionDefinition("secrets")]
public sealed class SecretCollection : ICollectionFixture<SecretDaemon>;
