using Hive.Core.Config;

namespace Hive.Remote.Tests;

/// <summary>Every unary <see cref="ISandboxHost"/> call, through the real server and client, arrives as it was made and answers as the host did.</summary>
public sealed class LifecycleWireTests
{
    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task Every_lifecycle_call_round_trips_with_the_sandbox_config_intact()
    {
        await using var server = await HostServer.StartAsync();
        var host = server.Client;
        var sb = Sandboxes.Hosted("sb1", Sandboxes.Rich);

        var running = await host.StartupAsync([sb, Sandboxes.Hosted("run-1"), Sandboxes.Hosted("run-2")], Ct);
        Assert.Equal(["run-1", "run-2"], running.Order());
        Assert.Equal(sb.Config, server.Fake.Seen["sb1"].Config);

        Assert.Empty(await host.CheckAsync(sb.Config, Ct));
        var errors = await host.CheckAsync(Sandboxes.Config("""{ "image": "missing/image" }"""), Ct);
        Assert.Equal([new ConfigError("image", "no image missing/image on this host")], errors);

        await host.StartAsync(sb, Ct);
        Assert.True(await host.IsRunningAsync(sb, Ct));
        var proposed = Sandboxes.Config(Sandboxes.Rich.Replace("\"ttl\": 600", "\"ttl\": 30"));
        await host.ApplyAsync(sb, proposed, Ct);
        Assert.Equal(proposed, server.Fake.Proposed);
        Assert.True(await host.IngressReadyAsync(sb, TimeSpan.FromMilliseconds(1500), Ct));

        var usage = await host.UsageAsync(sb, Ct);
        Assert.Equal(TimeSpan.FromSeconds(5), usage.Interval);
        Assert.Equal(720, usage.Capacity);
        Assert.Equal(2, usage.Samples.Count);
        Assert.Equal(new UsageSample(DateTimeOffset.UnixEpoch.AddSeconds(10), 6000, 0.1, 8192, 9000, 4), usage.Samples[1]);
        Assert.Null(usage.Samples[0].CpuPercent);

        await host.StopAsync(sb, Ct);
        await host.DestroyAsync(sb, Ct);
        await host.ShutdownAsync([sb, Sandboxes.Hosted("other")], Ct);

        Assert.Equal(["startup", "check", "check", "start sb1", "running sb1", "apply sb1", "ingress-ready 1500 sb1", "usage sb1", "stop sb1", "destroy sb1", "shutdown sb1,other"],
            server.Fake.Calls);
        Assert.Equal(sb.Config, server.Fake.Seen["sb1"].Config);
    }

    [Theory]
    [InlineData("notFound")]
    [InlineData("conflict")]
    [InlineData("unprocessable")]
    [InlineData("invalid")]
    [InlineData("timeout")]
    [InlineData("unavailable")]
    public async Task A_host_exception_arrives_as_the_same_kind_title_message_and_errors(string kind)
    {
        await using var server = await HostServer.StartAsync();
        var expected = (HostException)FakeHost.Failure(kind);
        var sb = Sandboxes.Hosted("fail-" + kind);

        var e = await Assert.ThrowsAsync<HostException>(() => server.Client.StartAsync(sb, Ct));
        Assert.Equal(expected.Kind, e.Kind);
        Assert.Equal(expected.Title, e.Title);
        Assert.Equal(expected.Message, e.Message);
        Assert.Equal(expected.Errors, e.Errors);

        // The same inside a stream (an error frame after the response started).
        var streamed = await Assert.ThrowsAsync<HostException>(() => server.Client.ExecAsync(sb, Spec(), (_, _, _) => ValueTask.CompletedTask, Ct));
        Assert.Equal(expected.Kind, streamed.Kind);
        Assert.Equal(expected.Message, streamed.Message);
    }

    [Fact]
    public async Task A_host_failure_that_is_not_a_host_exception_is_an_internal_error_naming_the_host()
    {
        await using var server = await HostServer.StartAsync();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => server.Client.StopAsync(Sandboxes.Hosted("fail-internal"), Ct));
        Assert.Contains("host host-1", e.Message);
        Assert.Contains("the fake host broke", e.Message);
    }

    [Fact]
    public async Task A_host_that_cannot_be_reached_is_unavailable_and_named()
    {
        await using var server = await HostServer.StartAsync();
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)) { l.Start(); port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port; }
        using var nowhere = new Hive.Daemon.Cluster.Remote.RemoteSandboxHost("host-9", new Uri($"https://127.0.0.1:{port}/"),
            server.ControllerTls.CreateClientHandler(Hive.Host.Abstractions.Cluster.ClusterRole.Host));
        var e = await Assert.ThrowsAsync<HostException>(() => nowhere.StartAsync(Sandboxes.Hosted(), Ct));
        Assert.Equal(HostErrorKind.Unavailable, e.Kind);
        Assert.Contains("host-9", e.Message);
    }

    private static ExecSpec Spec() => new(["true"], null, null, null, null, 0, 0);
}
