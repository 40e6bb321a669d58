using System.Collections.Concurrent;
using Hive.Core.Secrets;
using Hive.Daemon.Cluster;
using Hive.Daemon.Events;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Secrets;
using Hive.Daemon.Store;
using Hive.Host.Abstractions.Cluster;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hive.Controller.Tests;

/// <summary>
/// A controller in-process: a real SQLite store and event bus, the registry on a manual clock, and the cluster host
/// routing to fake hosts (one per registered name), under a real SandboxManager.
/// </summary>
internal sealed class Cluster : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-controller-tests-").FullName;

    public Cluster()
    {
        Store = new SqliteStore(Path.Combine(_dir, "hive.db"));
        Events = new EventBus(Store);
        Registry = new HostRegistry(Store, Events, Clock, HostRegistry.DefaultInterval, NullLogger.Instance);
        Host = new ClusterSandboxHost(Store, h => Hosts.GetOrAdd(h.Name, n => new FakeHost(n)), NullLogger.Instance);
        Registry.HostBooted += Host.OnHostBooted;
        Secrets = new SecretService(Store, MasterKey.Generate(), Host, NullLogger<SecretService>.Instance);
        Manager = new SandboxManager(Store, Events, Host, Secrets, int.MaxValue, NullLogger<SandboxManager>.Instance);
    }

    public ManualClock Clock { get; } = new(T0);
    public SqliteStore Store { get; }
    public EventBus Events { get; }
    public HostRegistry Registry { get; }
    public ClusterSandboxHost Host { get; }
    public SecretService Secrets { get; }
    public SandboxManager Manager { get; }
    public ConcurrentDictionary<string, FakeHost> Hosts { get; } = new(StringComparer.Ordinal);

    public FakeHost Fake(string name) => Hosts.GetOrAdd(name, n => new FakeHost(n));

    public HeartbeatAnswer Beat(string name, int capacity = 10, string? boot = "b1", IReadOnlyDictionary<string, string>? labels = null) =>
        Registry.Heartbeat(name, new HostHeartbeat(new Uri($"https://{name}:7443/"), capacity, labels ?? new Dictionary<string, string>(),
            [.. Fake(name).Running.Keys], "test", boot));

    public Task<(SandboxRecord Sandbox, bool Created)> CreateAsync(string name, string body = "{}") =>
        Manager.GetOrCreateAsync(name, System.Text.Encoding.UTF8.GetBytes(body), CancellationToken.None);

    public IReadOnlyList<StoredEvent> EventsOf(string sandbox)
    {
        Events.Flush();
        return Store.ReadEvents(sandbox, 0, 1000);
    }

    public void Dispose()
    {
        Host.Dispose();
        Events.Dispose();
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
