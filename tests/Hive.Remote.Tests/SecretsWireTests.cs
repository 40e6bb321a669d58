using Hive.Core.Secrets;

namespace Hive.Remote.Tests;

/// <summary>Secrets reach a remote host without blocking the caller, in order, before the sandbox's next start or command.</summary>
public sealed class SecretsWireTests
{
    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    private static SandboxSecrets Secrets(string value, bool revoked = false)
    {
        SecretHosts.TryCreate(["api.example.com", "*.example.org"], out var hosts, out _);
        var binding = new SecretBinding("hive-standin-" + value, new ResolvedSecret("key", "custom", hosts!, new SecretAuth(SecretAuthType.Header, "X-Api-Key", "Token ")), "real-" + value);
        return new SandboxSecrets(new Dictionary<string, string> { ["API_KEY"] = "hive-standin-" + value },
            new SecretSubstitution([binding], revoked ? [new RevokedStandIn("hive-standin-old", "old")] : null));
    }

    [Fact]
    public async Task Secrets_arrive_whole_and_SecretValues_answers_from_what_was_sent()
    {
        await using var server = await HostServer.StartAsync();
        server.Client.SetSecrets("sb1", Secrets("v1", revoked: true));
        Assert.Equal(["real-v1"], server.Client.SecretValues("sb1"));
        await server.Client.StartAsync(Sandboxes.Hosted(), Ct); // waits for the delivery

        var (name, got) = Assert.Single(server.Fake.Secrets);
        Assert.Equal("sb1", name);
        Assert.Equal("hive-standin-v1", got!.Env["API_KEY"]);
        var b = Assert.Single(got.Substitution.Bindings);
        Assert.Equal(("hive-standin-v1", "key", "custom"), (b.StandIn, b.Secret.Name, b.Secret.Provider));
        Assert.Equal(["api.example.com", "*.example.org"], b.Secret.Hosts.Patterns);
        Assert.Equal(new SecretAuth(SecretAuthType.Header, "X-Api-Key", "Token "), b.Secret.Auth);
        Assert.Equal(["real-v1"], got.Substitution.ValuesToRedact);
        Assert.Equal([new RevokedStandIn("hive-standin-old", "old")], got.Substitution.Revoked);

        server.Client.SetSecrets("sb1", null);
        Assert.Empty(server.Client.SecretValues("sb1"));
        await server.Client.ExecAsync(Sandboxes.Hosted(), new ExecSpec(["true"], null, null, null, null, 0, 0), (_, _, _) => ValueTask.CompletedTask, Ct);
        Assert.Null(server.Fake.Secrets.Last().Secrets);
    }

    [Fact]
    public async Task Storage_credentials_travel_in_the_secrets_lane_and_are_redacted_and_never_shown()
    {
        await using var server = await HostServer.StartAsync();
        var plain = Secrets("v1");
        var withStore = new SandboxSecrets(plain.Env, plain.Substitution, new Dictionary<string, string> { ["store-key"] = "AKIA:real-store-secret" });
        server.Client.SetSecrets("sb1", withStore);
        Assert.Equal(["real-v1", "AKIA:real-store-secret"], server.Client.SecretValues("sb1"));
        await server.Client.StartAsync(Sandboxes.Hosted(), Ct);

        var (_, got) = Assert.Single(server.Fake.Secrets);
        Assert.Equal(new Dictionary<string, string> { ["store-key"] = "AKIA:real-store-secret" }, got!.Storage);
        Assert.Contains("AKIA:real-store-secret", got.ValuesToRedact);
        // Not in the env or the proxy's table: the host's file system alone gets it.
        Assert.DoesNotContain("AKIA:real-store-secret", got.Env.Values);
        Assert.DoesNotContain("AKIA:real-store-secret", got.Substitution.ValuesToRedact);
        // What could end up in a log names no value.
        var wire = Hive.Host.Abstractions.Wire.SecretsWire.Write(withStore);
        Assert.DoesNotContain("real", wire.Secrets!.ToString());
        Assert.DoesNotContain("real", wire.ToString());
        Assert.All(wire.Secrets.Bindings, b => Assert.DoesNotContain("real", b.ToString()));
    }

    [Fact]
    public async Task The_store_check_crosses_with_its_credentials_and_the_plain_check_without()
    {
        await using var server = await HostServer.StartAsync();
        var config = Sandboxes.Hosted().Config;
        Assert.Empty(await server.Client.CheckAsync(config, new Dictionary<string, string> { ["store-key"] = "AKIA:secret" }, Ct));
        Assert.Equal(new Dictionary<string, string> { ["store-key"] = "AKIA:secret" }, server.Fake.CheckCredentials);
        var refused = Assert.Single(await server.Client.CheckAsync(config, new Dictionary<string, string>(), Ct));
        Assert.Equal("fs[0].credentials", refused.Path);
        Assert.Equal(2, server.Fake.Calls.Count(c => c == "check-stores"));

        Assert.Empty(await server.Client.CheckAsync(config, Ct));
        Assert.Equal(2, server.Fake.Calls.Count(c => c == "check-stores"));
        Assert.DoesNotContain("AKIA", new Hive.Host.Abstractions.Wire.WireCheck("{}", new Dictionary<string, string> { ["k"] = "AKIA:secret" }).ToString());
    }

    [Fact]
    public async Task SetSecrets_does_not_wait_for_a_slow_host_and_start_waits_for_the_delivery_in_order()
    {
        await using var server = await HostServer.StartAsync();
        using var gate = new ManualResetEventSlim(false);
        server.Fake.SecretsGate = gate;
        var sb = Sandboxes.Hosted();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 1; i <= 5; i++) server.Client.SetSecrets("sb1", Secrets("v" + i));
        server.Client.SetSecrets("other", Secrets("o1"));
        Assert.True(clock.ElapsedMilliseconds < 500, $"SetSecrets took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(["real-v5"], server.Client.SecretValues("sb1"));

        var start = server.Client.StartAsync(sb, Ct);
        await Task.Delay(500);
        Assert.False(start.IsCompleted, "start went ahead of the secrets");
        Assert.DoesNotContain("start sb1", server.Fake.Calls);

        gate.Set();
        await start.WaitAsync(TimeSpan.FromSeconds(10));
        var calls = server.Fake.Calls.ToList();
        Assert.True(calls.IndexOf("start sb1") > calls.LastIndexOf("secrets sb1"), string.Join(", ", calls));
        // In order; a change overtaken while the host was slow may be skipped, never reordered, and the newest arrives.
        var delivered = server.Fake.Secrets.Where(s => s.Sandbox == "sb1").Select(s => int.Parse(s.Secrets!.Env["API_KEY"]["hive-standin-v".Length..])).ToList();
        Assert.Equal(delivered.Order(), delivered);
        Assert.Equal(5, delivered[^1]);
    }

    [Fact]
    public async Task A_start_fails_clearly_when_the_secrets_cannot_be_delivered()
    {
        await using var server = await HostServer.StartAsync();
        await server.Client.StartAsync(Sandboxes.Hosted(), Ct); // nothing pending: goes straight through
        // An unreachable host: the delivery keeps failing, and the start gives up naming why.
        using var nowhere = new Hive.Daemon.Cluster.Remote.RemoteSandboxHost("host-x", new Uri("https://127.0.0.1:1/"),
            server.ControllerTls.CreateClientHandler(Hive.Host.Abstractions.Cluster.ClusterRole.Host), secretsWait: TimeSpan.FromSeconds(3));
        nowhere.SetSecrets("sb1", Secrets("v1"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<HostException>(() => nowhere.StartAsync(Sandboxes.Hosted(), Ct));
        Assert.Equal(HostErrorKind.Unavailable, e.Kind);
        Assert.Contains("secrets of sandbox sb1", e.Message);
        Assert.Contains("host-x", e.Message);
        Assert.InRange(clock.Elapsed.TotalSeconds, 2.5, 15);
    }
}
