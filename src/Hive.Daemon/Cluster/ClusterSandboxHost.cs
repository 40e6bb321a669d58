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
    private readonly ConcurrentDictionary<string, Task<IReadOnlySet<string>>> _prepared = new(StringComparer.Ordinal);
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
    /// A starting controller prepares every live host with the sandboxes placed on it (the host adopts those still
    /// running and removes what belongs to none). A host that does not answer keeps its sandboxes' stored status (lost
    /// detection decides about them), so those stored as running are reported running.
    /// </summary>
    public async Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct)
    {
        var records = _store.ListSandboxes();
        var running = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var hosts = _store.ListHosts().ToDictionary(h => h.Name, StringComparer.Ordinal);
        await Parallel.ForEachAsync(records.Where(r => r.Host is not null).GroupBy(r => r.Host!), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (placed, token) =>
            {
                try
                {
                    if (hosts.GetValueOrDefault(placed.Key) is not { Status: HostStatus.Live } host) throw new HostException(HostErrorKind.Unavailable, "Host lost", "not live");
                    foreach (var name in await PrepareAsync(host, token)) running[name] = 0;
                }
                catch (HostException e) when (e.Kind is HostErrorKind.Unavailable or HostErrorKind.Timeout)
                {
                    foreach (var r in placed.Where(r => r.Status == SandboxStatus.Running)) running[r.Name] = 0;
                }
            });
        return running.Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A host process that started anew (its heartbeat's boot id changed) is prepared again before its next use.</summary>
    public void OnHostBooted(string host)
    {
        _prepared.TryRemove(host, out _);
        if (_store.FindHost(host) is { Status: HostStatus.Live } h)
            _ = ReadyAsync(h, CancellationToken.None).ContinueWith(t => _log.LogWarning(t.Exception?.InnerException, "preparing host {Host} failed; retrying on its next use", host),
                TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>The host's client, once the host knows the sandboxes placed on it (its StartupAsync ran since this controller or the host started).</summary>
    private async Task<ISandboxHost> ReadyAsync(HostRecord host, CancellationToken ct)
    {
        await PrepareAsync(host, ct);
        return Client(host);
    }

    private Task<IReadOnlySet<string>> PrepareAsync(HostRecord host, CancellationToken ct)
    {
        Task<IReadOnlySet<string>>? task;
        lock (_prepared)
        {
            if (!_prepared.TryGetValue(host.Name, out task))
            {
                task = Task.Run(async () =>
                {
                    var placed = _store.ListSandboxesOnHost(host.Name).Select(r => new HostedSandbox(r.Name, r.Config)).ToList();
                    var client = Client(host);
                    foreach (var s in placed)
                        if (_secrets.TryGetValue(s.Name, out var secrets)) client.SetSecrets(s.Name, secrets);
                    return await client.StartupAsync(placed, CancellationToken.None);
                });
                _prepared[host.Name] = task;
                // A failed preparation is tried again on the next use.
                _ = task.ContinueWith(t => _prepared.TryRemove(new KeyValuePair<string, Task<IReadOnlySet<string>>>(host.Name, t)), CancellationToken.None,
                    TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
            }
        }
        return task.WaitAsync(ct);
    }

    /// <summary>Asks the host a new sandbox would most likely go to (any live host for an existing one).</summary>
    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, CancellationToken ct) => CheckHost(config).CheckAsync(config, ct);

    /// <summary>The same host also asks the object stores, with the credentials travelling in the check's body only.</summary>
    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, IReadOnlyDictionary<string, string> storageCredentials, CancellationToken ct) =>
        CheckHost(config).CheckAsync(config, storageCredentials, ct);

    private ISandboxHost CheckHost(SandboxConfig config)
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
        return Client(target);
    }

    public async Task StartAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        var host = await PlaceAsync(sandbox, ct);
        var client = await ReadyAsync(host, ct);
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
        return await (await ReadyAsync(host, ct)).IsRunningAsync(sandbox, ct);
    }

    public async Task StopAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        if (Placed(sandbox.Name) is { } host) await (await ReadyAsync(Live(sandbox.Name, host), ct)).StopAsync(sandbox, ct);
    }

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
        await (await ReadyAsync(host, ct)).DestroyAsync(sandbox, ct);
    }

    /// <summary>An unplaced sandbox has nothing running: its stored config is what its first start uses.</summary>
    public async Task ApplyAsync(HostedSandbox sandbox, SandboxConfig proposed, CancellationToken ct)
    {
        if (Placed(sandbox.Name) is { } host) await (await ReadyAsync(Live(sandbox.Name, host), ct)).ApplyAsync(sandbox, proposed, ct);
    }

    public async Task<ExecOutcome> ExecAsync(HostedSandbox sandbox, ExecSpec spec, Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        await (await RouteAsync(sandbox, ct)).ExecAsync(sandbox, spec, onOutput, ct);

    public async Task<ExecOutcome> TerminalAsync(HostedSandbox sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        await (await RouteAsync(sandbox, ct)).TerminalAsync(sandbox, spec, size, input, onOutput, ct);

    public async Task<FileRead> ReadFileAsync(HostedSandbox sandbox, string path, CancellationToken ct) => await (await RouteAsync(sandbox, ct)).ReadFileAsync(sandbox, path, ct);

    public async Task WriteFileAsync(HostedSandbox sandbox, string path, Stream content, CancellationToken ct) =>
        await (await RouteAsync(sandbox, ct)).WriteFileAsync(sandbox, path, content, ct);

    public async Task DeleteFileAsync(HostedSandbox sandbox, string path, CancellationToken ct) => await (await RouteAsync(sandbox, ct)).DeleteFileAsync(sandbox, path, ct);

    /// <summary>Synchronous by the seam's shape: sandbox.url asks for it after a start, so the host was prepared then.</summary>
    public IngressTarget Ingress(HostedSandbox sandbox) => Client(LivePlacement(sandbox)).Ingress(sandbox);

    public async Task<bool> IngressReadyAsync(HostedSandbox sandbox, TimeSpan limit, CancellationToken ct) =>
        await (await RouteAsync(sandbox, ct)).IngressReadyAsync(sandbox, limit, ct);

    public async Task<UsageHistory> UsageAsync(HostedSandbox sandbox, CancellationToken ct) =>
        Placed(sandbox.Name) is { Status: HostStatus.Live } host
            ? await (await ReadyAsync(host, ct)).UsageAsync(sandbox, ct)
            : new UsageHistory(TimeSpan.FromSeconds(5), 0, []);

    /// <summary>Kept here (the controller knows what it sent) and passed on to the sandbox's host, which delivers in the background.</summary>
    public void SetSecrets(string sandbox, SandboxSecrets? secrets)
    {
        if (secrets is null) _secrets.TryRemove(sandbox, out _);
        else _secrets[sandbox] = secrets;
        if (Placed(sandbox) is { Status: HostStatus.Live } host) Client(host).SetSecrets(sandbox, secrets);
    }

    public IReadOnlyList<string> SecretValues(string sandbox) =>
        _secrets.TryGetValue(sandbox, out var s) ? [.. s.ValuesToRedact] : [];

    /// <summary>A controller stopping leaves the hosts' sandboxes running: they are adopted when it (or another) starts.</summary>
    public Task ShutdownAsync(IReadOnlyList<HostedSandbox> sandboxes, CancellationToken ct) => Task.CompletedTask;

    private HostRecord? Placed(string sandbox) => _store.FindSandbox(sandbox)?.Host is { } name ? _store.FindHost(name) ?? Unregistered(name) : null;

    private static HostRecord Unregistered(string name) =>
        new(name, new Uri("https://unregistered.invalid/"), 0, new Dictionary<string, string>(), DateTimeOffset.MinValue, HostStatus.Lost);

    private Task<ISandboxHost> RouteAsync(HostedSandbox sandbox, CancellationToken ct) => ReadyAsync(LivePlacement(sandbox), ct);

    private HostRecord LivePlacement(HostedSandbox sandbox) =>
        Live(sandbox.Name, Placed(sandbox.Name) ?? throw HostException.Conflict($"sandbox \"{sandbox.Name}\" has not started on any host yet; start it first"));

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
            if (c.Client is not null) _prepared.TryRemove(host.Name, out _);
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
