using System.Collections.Concurrent;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace Hive.Daemon.Cluster;

/// <summary>
/// The controller's <see cref="ISandboxHost"/> in cluster mode: each call goes to the host the sandbox is placed on
/// (<c>sandboxes.host</c>), through the client <paramref name="connect"/> makes for that host. A sandbox is placed on its
/// first start by the <see cref="Scheduler"/>; one with a <c>local</c> volume stays on its host, one without may move
/// when its host is lost. Placement is serialised in this controller, and is a compare-and-set in the store, so two
/// controllers never place one sandbox twice.
/// </summary>
public sealed class ClusterSandboxHost : ISandboxHost, IDisposable
{
    private readonly IHiveStore _store;
    private readonly Func<RegisteredHost, ISandboxHost> _connect;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, (RegisteredHost Host, ISandboxHost Client)> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SandboxSecrets> _secrets = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _placing = new(1, 1);

    public ClusterSandboxHost(IHiveStore store, Func<RegisteredHost, ISandboxHost> connect, ILogger log)
    {
        _store = store;
        _connect = connect;
        _log = log;
        Approvals = new ClusterApprovals(LiveClients);
    }

    public IApprovalQueue Approvals { get; }

    /// <summary>Labels a sandbox's host must carry (the config has no such field yet: none).</summary>
    private static IReadOnlyDictionary<string, string> Requirements(SandboxConfig config) => new Dictionary<string, string>();

    /// <summary>
    /// A restarted controller asks each placed sandbox's host whether it runs. A sandbox whose host is lost or does not
    /// answer keeps its stored status (lost detection decides about it), so it is reported running when it was.
    /// </summary>
    public async Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct)
    {
        var records = _store.ListSandboxes().ToDictionary(s => s.Name, StringComparer.Ordinal);
        var running = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(known, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (s, token) =>
        {
            if (!records.TryGetValue(s.Name, out var record) || record.Host is null) return;
            var host = _store.FindHost(record.Host);
            try
            {
                if (host is not { Status: HostStatus.Live }) throw new HostException(HostErrorKind.Unavailable, "Host lost", "not live");
                if (await Client(host).IsRunningAsync(s, token)) running[s.Name] = 0;
            }
            catch (HostException e) when (e.Kind is HostErrorKind.Unavailable or HostErrorKind.Timeout)
            {
                if (record.Status == SandboxStatus.Running) running[s.Name] = 0;
            }
        });
        return running.Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Asks the host a new sandbox would most likely go to (any live host for an existing one).</summary>
    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, CancellationToken ct)
    {
        var hosts = _store.ListHosts();
        HostRecord target;
        try
        {
            target = Scheduler.Pick(hosts, _store.CountSandboxesByHost(), Requirements(config));
        }
        catch (HostException) when (hosts.FirstOrDefault(h => h.Status == HostStatus.Live) is { } any)
        {
            target = any; // full: the start says so; an apply to a placed sandbox must still be checked
        }
        return Client(target).CheckAsync(config, ct);
    }

    public async Task StartAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        var host = await PlaceAsync(sandbox, ct);
        var client = Client(host);
        // Bindings set while the sandbox was not placed (or placed elsewhere) go to its host before it starts.
        client.SetSecrets(sandbox.Name, _secrets.GetValueOrDefault(sandbox.Name));
        await client.StartAsync(sandbox, ct);
    }

    /// <summary>The sandbox's live host, placing it first if it has none, or if its host is gone and nothing pins it there.</summary>
    private async Task<HostRecord> PlaceAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        await _placing.WaitAsync(ct);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var record = _store.FindSandbox(sandbox.Name) ?? throw HostException.NotFound($"sandbox \"{sandbox.Name}\" does not exist");
                var hosts = _store.ListHosts();
                HostRecord? current = record.Host is null ? null : hosts.FirstOrDefault(h => h.Name == record.Host);
                if (current is { Status: HostStatus.Live }) return current;
                if (record.Host is not null && Scheduler.IsPinned(record.Config))
                    throw new HostException(HostErrorKind.Unavailable, "Host lost",
                        $"sandbox \"{sandbox.Name}\" keeps its local volumes on host \"{record.Host}\", which is {(current is null ? "not registered" : "lost")}; " +
                        "it runs again when that host is back (or delete it)");
                var pick = Scheduler.Pick(hosts, _store.CountSandboxesByHost(), Requirements(record.Config),
                    record.Host is null ? null : new HashSet<string> { record.Host });
                if (_store.PlaceSandbox(sandbox.Name, pick.Name, record.Host))
                {
                    if (record.Host is not null) _log.LogWarning("sandbox {Name} moved from lost host {From} to {To}", sandbox.Name, record.Host, pick.Name);
                    else _log.LogInformation("sandbox {Name} placed on host {Host}", sandbox.Name, pick.Name);
                    return pick;
                }
                // Another controller placed it meanwhile: take its decision.
                if (attempt >= 2) throw new HostException(HostErrorKind.Conflict, "Conflict", $"sandbox \"{sandbox.Name}\" is being placed by another controller; retry");
            }
        }
        finally
        {
            _placing.Release();
        }
    }

    public async Task<bool> IsRunningAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        var host = Placed(sandbox.Name);
        if (host is not { Status: HostStatus.Live }) return false;
        return await Client(host).IsRunningAsync(sandbox, ct);
    }

    public Task StopAsync(HostedSandbox sandbox, CancellationToken ct) =>
        Placed(sandbox.Name) is { } host ? Client(Live(sandbox.Name, host)).StopAsync(sandbox, ct) : Task.CompletedTask;

    /// <summary>A sandbox on a lost host is deleted here all the same: its host is told of it when it is back (its heartbeat lists it as unknown).</summary>
    public async Task DestroyAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        _secrets.TryRemove(sandbox.Name, out _);
        var host = Placed(sandbox.Name);
        if (host is not { Status: HostStatus.Live })
        {
            if (host is not null) _log.LogWarning("sandbox {Name} deleted while its host {Host} is lost: the host cleans up when it is back", sandbox.Name, host.Name);
            return;
        }
        await Client(host).DestroyAsync(sandbox, ct);
    }

    /// <summary>An unplaced sandbox has nothing running: its stored config is what its first start uses.</summary>
    public Task ApplyAsync(HostedSandbox sandbox, SandboxConfig proposed, CancellationToken ct) =>
        Placed(sandbox.Name) is { } host ? Client(Live(sandbox.Name, host)).ApplyAsync(sandbox, proposed, ct) : Task.CompletedTask;

    public Task<ExecOutcome> ExecAsync(HostedSandbox sandbox, ExecSpec spec, Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        Route(sandbox).ExecAsync(sandbox, spec, onOutput, ct);

    public Task<ExecOutcome> TerminalAsync(HostedSandbox sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        Route(sandbox).TerminalAsync(sandbox, spec, size, input, onOutput, ct);

    public Task<FileRead> ReadFileAsync(HostedSandbox sandbox, string path, CancellationToken ct) => Route(sandbox).ReadFileAsync(sandbox, path, ct);

    public Task WriteFileAsync(HostedSandbox sandbox, string path, Stream content, CancellationToken ct) => Route(sandbox).WriteFileAsync(sandbox, path, content, ct);

    public Task DeleteFileAsync(HostedSandbox sandbox, string path, CancellationToken ct) => Route(sandbox).DeleteFileAsync(sandbox, path, ct);

    public IngressTarget Ingress(HostedSandbox sandbox) => Route(sandbox).Ingress(sandbox);

    public Task<bool> IngressReadyAsync(HostedSandbox sandbox, TimeSpan limit, CancellationToken ct) => Route(sandbox).IngressReadyAsync(sandbox, limit, ct);

    public Task<UsageHistory> UsageAsync(HostedSandbox sandbox, CancellationToken ct) =>
        Placed(sandbox.Name) is { Status: HostStatus.Live } host ? Client(host).UsageAsync(sandbox, ct) : Task.FromResult(new UsageHistory(TimeSpan.FromSeconds(5), 0, []));

    /// <summary>Kept here (the controller knows what it sent) and passed on to the sandbox's host, which delivers in the background.</summary>
    public void SetSecrets(string sandbox, SandboxSecrets? secrets)
    {
        if (secrets is null) _secrets.TryRemove(sandbox, out _);
        else _secrets[sandbox] = secrets;
        if (Placed(sandbox) is { Status: HostStatus.Live } host) Client(host).SetSecrets(sandbox, secrets);
    }

    public IReadOnlyList<string> SecretValues(string sandbox) =>
        _secrets.TryGetValue(sandbox, out var s) ? [.. s.Substitution.ValuesToRedact] : [];

    /// <summary>A controller stopping leaves the hosts' sandboxes running: they are adopted when it (or another) starts.</summary>
    public Task ShutdownAsync(IReadOnlyList<HostedSandbox> sandboxes, CancellationToken ct) => Task.CompletedTask;

    private HostRecord? Placed(string sandbox) => _store.FindSandbox(sandbox)?.Host is { } name ? _store.FindHost(name) ?? Unregistered(name) : null;

    private static HostRecord Unregistered(string name) =>
        new(name, new Uri("https://unregistered.invalid/"), 0, new Dictionary<string, string>(), DateTimeOffset.MinValue, HostStatus.Lost);

    private ISandboxHost Route(HostedSandbox sandbox)
    {
        var host = Placed(sandbox.Name) ?? throw HostException.Conflict($"sandbox \"{sandbox.Name}\" has not started on any host yet; start it first");
        return Client(Live(sandbox.Name, host));
    }

    private static HostRecord Live(string sandbox, HostRecord host) => host.Status == HostStatus.Live ? host
        : throw new HostException(HostErrorKind.Unavailable, "Host lost",
            $"sandbox \"{sandbox}\" is on host \"{host.Name}\", which sends no heartbeats; it is back when the host is");

    /// <summary>One client per host, made again when the host's address or capacity changed.</summary>
    private ISandboxHost Client(HostRecord host)
    {
        var registered = RegisteredHost.From(host);
        if (_clients.TryGetValue(host.Name, out var c) && c.Host.Advertise == registered.Advertise) return c.Client;
        lock (_clients)
        {
            if (_clients.TryGetValue(host.Name, out c) && c.Host.Advertise == registered.Advertise) return c.Client;
            var client = _connect(registered);
            _clients[host.Name] = (registered, client);
            if (c.Client is IDisposable old) old.Dispose();
            return client;
        }
    }

    private IEnumerable<ISandboxHost> LiveClients() => _store.ListHosts().Where(h => h.Status == HostStatus.Live).Select(Client);

    public void Dispose()
    {
        foreach (var (_, client) in _clients.Values)
            if (client is IDisposable d) d.Dispose();
        _clients.Clear();
    }
}
