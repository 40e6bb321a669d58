using System.Security.Cryptography;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// What the secret benchmarks (secrets, scrub) measure against: a loopback HTTPS upstream for <c>api.example.test</c>, a
/// throwaway daemon trusting its CA, a secret <c>bench-key</c> (value <see cref="Value"/>) bound to that host, and two
/// sandboxes allowed to reach it, <see cref="Plain"/> without the secret and <see cref="Secret"/> with it as API_KEY, each
/// with its network namespace (<see cref="PlainNs"/>, <see cref="SecretNs"/>) for a load generator. Dispose deletes the
/// sandboxes and the CA file, then stops the daemon and the upstream.
/// </summary>
public sealed class SecretRig : IAsyncDisposable
{
    private string? _caFile;
    private SandboxNetns? _netns;

    private SecretRig(TestUpstream upstream) => Upstream = upstream;

    public TestUpstream Upstream { get; }
    public DaemonProcess Daemon { get; private set; } = null!;
    public HiveConnection Connection { get; private set; } = null!;
    public string Value { get; private set; } = "";
    public Sandbox Plain { get; private set; } = null!;
    public Sandbox Secret { get; private set; } = null!;
    public string PlainNs => _netns!.Names[0];
    public string SecretNs => _netns!.Names[1];

    /// <summary>The two sandboxes are named <paramref name="plainName"/> and <paramref name="secretName"/>.</summary>
    public static async Task<SecretRig> StartAsync(string plainName, string secretName)
    {
        var rig = new SecretRig(await TestUpstream.StartAsync());
        try
        {
            rig._caFile = Path.Combine(Path.GetTempPath(), $"hive-bench-ca-{Guid.NewGuid():N}.pem");
            await File.WriteAllTextAsync(rig._caFile, rig.Upstream.CaPem);
            rig.Daemon = await DaemonProcess.StartAsync(upstream: rig.Upstream.UpstreamSettings(rig._caFile), withBaseImage: true);
            rig.Connection = rig.Daemon.Connect();
            rig.Value = "sk-live-" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 40);
            await rig.Connection.Secrets.CreateAsync(new SecretCreateOptions { Name = "bench-key", Value = rig.Value, Hosts = ["api.example.test"], Auth = SecretAuth.Header("X-Api-Key") });
            var egress = new List<EgressRule> { new() { Access = "allow", Host = "api.example.test" } };
            rig.Plain = await rig.Connection.GetOrCreateSandboxAsync(plainName, new SandboxConfig { Image = "hive/base", Egress = egress });
            rig.Secret = await rig.Connection.GetOrCreateSandboxAsync(secretName, new SandboxConfig
            {
                Image = "hive/base", Egress = egress, Secrets = new() { ["API_KEY"] = "bench-key" },
            });
            rig._netns = await SandboxNetns.CreateAsync(rig.Daemon, rig.Plain, rig.Secret);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_netns is not null)
            {
                await Plain.DeleteAsync();
                await Secret.DeleteAsync();
            }
        }
        finally
        {
            if (_caFile is not null) File.Delete(_caFile);
            _netns?.Dispose();
            Connection?.Dispose();
            if (Daemon is not null) await Daemon.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }
}
