namespace Hive.EndToEnd.Infrastructure;

/// <summary>A daemon whose Inspector login codes live <see cref="CodeTtl"/> instead of 5 minutes, so their expiry can be tested.</summary>
public sealed class InspectorDaemon : IAsyncLifetime
{
    public static readonly TimeSpan CodeTtl = TimeSpan.FromSeconds(3);

    public DaemonProcess Daemon { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Daemon = await DaemonProcess.StartAsync(env: new Dictionary<string, string> { ["HIVE_INSPECTOR_CODE_TTL"] = ((int)CodeTtl.TotalSeconds).ToString() });

    public async Task DisposeAsync() => await Daemon.DisposeAsync();
}

[CollectionDefinition("inspector")]
public sealed class InspectorCollection : ICollectionFixture<InspectorDaemon>;
