using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>A daemon of its own (restarts and held requests must not disturb other tests) and one hive/base sandbox.</summary>
public sealed class ApprovalDaemon : UpstreamDaemon
{
    protected override Task<Sandbox> CreateSandboxAsync() =>
        Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("ask"), new SandboxConfig { Image = "hive/base" });

    /// <summary>Puts these rules, egressDefault and askTimeout in force on <paramref name="sandbox"/> (the fixture's by default).</summary>
    public async Task RulesAsync(string rulesJson, string egressDefault = "deny", int askTimeout = 120, Sandbox? sandbox = null)
    {
        sandbox ??= Sandbox;
        var config = await sandbox.GetConfigAsync();
        config.Egress = SandboxConfig.FromJson($$"""{ "egress": {{rulesJson.Replace("$HTTPS", Upstream.HttpsPort.ToString()).Replace("$HTTP", Upstream.HttpPort.ToString())}} }""").Egress;
        config.EgressDefault = egressDefault;
        config.AskTimeout = askTimeout;
        await sandbox.ApplyConfigAsync(config);
    }

    /// <summary>Runs a shell line in <paramref name="sandbox"/> with $HTTPS and $HTTP set.</summary>
    public Task<ExecResult> ShInAsync(Sandbox sandbox, string line, int timeoutMs = 60_000) =>
        sandbox.ExecAsync(new ExecRequest
        {
            Command = new ExecCommand(["bash", "-c", line]),
            Env = new() { ["HTTPS"] = Upstream.HttpsPort.ToString(), ["HTTP"] = Upstream.HttpPort.ToString() },
            TimeoutMs = timeoutMs,
        });

    /// <summary>Waits until <paramref name="count"/> held requests match; fails with what is waiting after 30 s.</summary>
    public async Task<IReadOnlyList<Approval>> WaitForHeldAsync(Func<Approval, bool> match, int count = 1, string? sandbox = null, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        IReadOnlyList<Approval> held = [];
        while (DateTime.UtcNow < deadline)
        {
            held = [.. (await Hive.GetApprovalsAsync(sandbox)).Where(match)];
            if (held.Count >= count) return held;
            await Task.Delay(100);
        }
        throw new TimeoutException($"expected {count} held requests, found {held.Count}: {string.Join(", ", held)}");
    }

    public static bool ReachedUpstream(string marker) => TestUpstream.Received.Values.Any(v => v.Contains(marker, StringComparison.Ordinal));

    /// <summary>Events of a type after an id, across sandboxes.</summary>
    public async Task<IReadOnlyList<SandboxEvent>> EventsAsync(long after, string types) =>
        await Hive.GetEventsAsync(types: types, after: after, limit: 10_000);

    public static string Str(SandboxEvent e, string field) => (string?)e[field] ?? "";
}

/// <summary>A raw TCP server on loopback that counts connections and echoes what it reads, upper-cased.</summary>
public sealed class RawEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _accepted;

    public RawEchoServer()
    {
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var stream = client.GetStream();
                        var buffer = new byte[1024];
                        int n;
                        try
                        {
                            while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(System.Text.Encoding.ASCII.GetString(buffer, 0, n).ToUpperInvariant()), _stop.Token);
                        }
                        catch (Exception e) when (e is IOException or OperationCanceledException) { }
                    }
                });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}

[CollectionDefinition("approvals")]
public sealed class ApprovalCollection : ICollectionFixture<ApprovalDaemon>;

/// <summary>The restart test stops its daemon: a fixture of its own.</summary>
public sealed class ApprovalRestartDaemon : UpstreamDaemon
{
    protected override Task<Sandbox> CreateSandboxAsync() =>
        Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("askrs"), new SandboxConfig
        {
            Image = "hive/base",
            Egress = [EgressRule.Ask("api.example.test")],
        });
}

[CollectionDefinition("approvals-restart")]
public sealed class ApprovalRestartCollection : ICollectionFixture<ApprovalRestartDaemon>;
