using Hive.Core.Events;
using Hive.Daemon.Cluster;
using Hive.Daemon.Events;
using Hive.Daemon.Store;
using Hive.Host.Abstractions.Cluster;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Hive.Controller.Tests;

/// <summary>The leader's loop on the real clock: a host that stops heartbeating is judged lost once.</summary>
public sealed class LostLoopTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-lost-loop-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_loop_marks_a_silent_host_lost_once_and_its_sandbox_gets_one_event()
    {
        using var store = new SqliteStore(Path.Combine(_dir, "hive.db"));
        using var events = new EventBus(store);
        var log = new CountingLogger();
        var registry = new HostRegistry(store, events, TimeProvider.System, TimeSpan.FromMilliseconds(100), log);
        registry.Heartbeat("h1", new HostHeartbeat(new Uri("https://h1:7443/"), 5, new Dictionary<string, string>(), ["box"], "t"));
        store.InsertSandbox("box", Hive.Core.Config.ConfigParser.Parse("{}", "box").Config!, DateTimeOffset.UtcNow, 10);
        store.SetSandboxHost("box", "h1");
        store.UpdateSandbox("box", SandboxStatus.Running);
        using var cts = new CancellationTokenSource();
        var loop = registry.RunAsync(new AlwaysLeader(), cts.Token);
        await Task.Delay(1500);
        cts.Cancel();
        await loop;
        events.Flush();
        Assert.Equal(SandboxStatus.Lost, store.FindSandbox("box")!.Status);
        Assert.Single(store.ReadEvents("box", 0, 100), e => e.Type == EventTypes.SandboxLost);
        Assert.Equal(1, log.Lost);
    }

    private sealed class CountingLogger : ILogger
    {
        public int Lost;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).Contains("is lost")) Interlocked.Increment(ref Lost);
        }
    }
}
