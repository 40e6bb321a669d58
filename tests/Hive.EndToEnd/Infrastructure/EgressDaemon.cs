using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>One hive/base sandbox (curl, python3, git) behind the egress proxy, whose rules each test applies.</summary>
public sealed class EgressDaemon : UpstreamDaemon
{
    protected override Task<Sandbox> CreateSandboxAsync() =>
        Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("egress"), new SandboxConfig { Image = "hive/base" });

    /// <summary>Puts exactly these rules in force (JSON array of rules).</summary>
    public async Task RulesAsync(string rulesJson)
    {
        var config = await Sandbox.GetConfigAsync();
        config.Egress = SandboxConfig.FromJson($$"""{ "egress": {{rulesJson.Replace("$HTTPS", Upstream.HttpsPort.ToString()).Replace("$HTTP", Upstream.HttpPort.ToString())}} }""").Egress;
        await Sandbox.ApplyConfigAsync(config);
    }
}

[CollectionDefinition("egress")]
public sealed class EgressCollection : ICollectionFixture<EgressDaemon>;
