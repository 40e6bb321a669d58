using Hive.Core.Secrets;
using Hive.Daemon.Events;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Secrets;
using Hive.Daemon.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hive.Daemon.Tests;

/// <summary>The daemon's controller (store, events, secrets, manager) on a temporary SQLite file and a fake host.</summary>
internal sealed class Controller : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-daemon-tests-").FullName;

    public Controller()
    {
        Store = new SqliteStore(Path.Combine(_dir, "hive.db"));
        Events = new EventBus(Store);
        var secrets = new SecretService(Store, MasterKey.Generate(), Host, NullLogger<SecretService>.Instance);
        Manager = new SandboxManager(Store, Events, Host, secrets, 64, NullLogger<SandboxManager>.Instance);
    }

    public string DatabasePath => Path.Combine(_dir, "hive.db");
    public FakeSandboxHost Host { get; } = new();
    public SqliteStore Store { get; }
    public EventBus Events { get; }
    public SandboxManager Manager { get; }

    public void Dispose()
    {
        Events.Dispose();
        Store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
