using Hive.Daemon.Cluster;
using Hive.Daemon.Store;
using Hive.Tests.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Hive.Controller.Tests;

/// <summary>Two controllers' leases against a real PostgreSQL server (started by the test): one leads at a time.</summary>
public sealed class LeaderLeaseTests : IDisposable
{
    private readonly PostgresServer _pg = PostgresServer.Start();
    private readonly DatabaseUrl _url;

    public LeaderLeaseTests() => _url = DatabaseUrl.Parse(_pg.Url(_pg.CreateDatabase()));

    public void Dispose() => _pg.Dispose();

    private PostgresLeaderLease Lease() => new(_url, NullLogger.Instance, TimeSpan.FromMilliseconds(100));

    [Fact]
    public void The_advisory_lock_keys_are_all_different()
    {
        long[] keys = [PostgresLocks.Schema, PostgresLocks.EventIds, PostgresLocks.Leader];
        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    [Fact]
    public async Task Events_are_written_while_this_controller_holds_the_lease()
    {
        // The leader's session lock once shared its key with the event writers' transaction lock: every write then waited forever.
        await using var lease = Lease();
        Assert.True(await lease.TryOnceAsync(CancellationToken.None));
        using var store = new PostgresStore(_url);
        using var bus = new Hive.Daemon.Events.EventBus(store);
        var append = Task.Run(() => bus.Append("sb", "sandbox.created"));
        Assert.Same(append, await Task.WhenAny(append, Task.Delay(TimeSpan.FromSeconds(20))));
        Assert.True((await append).Id > 0);
    }

    [Fact]
    public async Task Of_two_controllers_one_leads_and_the_other_takes_over_when_it_stops()
    {
        await using var one = Lease();
        await using var two = Lease();
        Assert.True(await one.TryOnceAsync(CancellationToken.None));
        Assert.False(await two.TryOnceAsync(CancellationToken.None));
        Assert.True(await one.TryOnceAsync(CancellationToken.None)); // keeps it
        Assert.False(await two.TryOnceAsync(CancellationToken.None));

        await one.DisposeAsync();
        Assert.False(one.IsLeader);
        Assert.True(await two.TryOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_leader_whose_connection_dies_stops_leading_and_another_takes_the_lease()
    {
        await using var one = Lease();
        await using var two = Lease();
        Assert.True(await one.TryOnceAsync(CancellationToken.None));
        // The server ends the leader's session (as a network cut or a server restart would): the lock goes with it.
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_url.PostgresConnectionString) { Pooling = false }.ToString()))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hive-leader' AND pid IN " +
                                                     "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)", admin);
            await kill.ExecuteNonQueryAsync();
        }
        // The backend ends (and lets go of the lock) shortly after it is signalled: the follower takes it within its retries.
        for (var i = 0; i < 50 && !await two.TryOnceAsync(CancellationToken.None); i++) await Task.Delay(100);
        Assert.True(two.IsLeader);
        Assert.False(await one.TryOnceAsync(CancellationToken.None));
        Assert.False(one.IsLeader);
        Assert.False(await one.TryOnceAsync(CancellationToken.None)); // reconnected, but two holds it
    }

    [Fact]
    public async Task Running_leases_settle_on_exactly_one_leader()
    {
        var leases = Enumerable.Range(0, 4).Select(_ => Lease()).ToList();
        using var cts = new CancellationTokenSource();
        var runs = leases.Select(l => l.RunAsync(cts.Token)).ToList();
        await HostRegistryTests.WaitUntil(() => leases.Count(l => l.IsLeader) == 1);
        await Task.Delay(400);
        Assert.Equal(1, leases.Count(l => l.IsLeader));
        var leader = leases.Single(l => l.IsLeader);
        await leader.DisposeAsync();
        await HostRegistryTests.WaitUntil(() => leases.Count(l => l.IsLeader) == 1);
        cts.Cancel();
        await Task.WhenAll(runs);
        foreach (var l in leases) await l.DisposeAsync();
    }

    [Fact]
    public async Task With_sqlite_the_one_controller_always_leads()
    {
        await using var lease = new AlwaysLeader();
        Assert.True(lease.IsLeader);
    }
}
