using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>One daemon shared by the tests of the "daemon" collection (they run one after another).</summary>
public sealed class SharedDaemon : IAsyncLifetime
{
    public DaemonProcess Daemon { get; private set; } = null!;
    public HiveConnection Hive { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Daemon = await DaemonProcess.StartAsync();
        Hive = Daemon.Connect();
    }

    public async Task DisposeAsync()
    {
        Hive.Dispose();
        await Daemon.DisposeAsync();
    }

    public static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public static SandboxConfig Minimal(Action<SandboxConfig>? edit = null)
    {
        var c = new SandboxConfig { Image = "hive/minimal" };
        edit?.Invoke(c);
        return c;
    }
}

[CollectionDefinition("daemon")]
public sealed class DaemonCollection : ICollectionFixture<SharedDaemon>;
