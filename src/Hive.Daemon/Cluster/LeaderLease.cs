using Hive.Daemon.Store;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hive.Daemon.Cluster;

/// <summary>
/// Whether this controller leads: runs the TTL loop, lost-host detection and event retention. Every controller serves
/// the API; only the leader does what must happen once.
/// </summary>
public interface ILeaderLease : IAsyncDisposable
{
    bool IsLeader { get; }

    /// <summary>Keeps (or tries to take) the lease until cancelled.</summary>
    Task RunAsync(CancellationToken ct);
}

/// <summary>SQLite: one controller owns the database file, so it always leads.</summary>
public sealed class AlwaysLeader : ILeaderLease
{
    public bool IsLeader => true;
    public Task RunAsync(CancellationToken ct) => Task.CompletedTask;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// PostgreSQL: the leader holds a session advisory lock on a connection of its own (not pooled: a pooled connection
/// returned to the pool would keep the lock with nobody using it). Followers try to take it every
/// <paramref name="retry"/>; the leader checks its connection as often, and stops leading as soon as the connection is
/// gone (the server released the lock with it, and another controller may hold it now).
/// </summary>
public sealed class PostgresLeaderLease(DatabaseUrl url, ILogger log, TimeSpan? retry = null) : ILeaderLease
{
    /// <summary>Any constant, the same in every controller: "hive leader".</summary>
    public const long LockKey = PostgresLocks.Leader;

    private readonly string _connectionString = new NpgsqlConnectionStringBuilder(url.PostgresConnectionString)
    {
        Pooling = false, Timeout = 5, CommandTimeout = 5, KeepAlive = 5, ApplicationName = "hive-leader",
    }.ToString();
    private readonly TimeSpan _retry = retry ?? TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _connection;
    private volatile bool _leader;

    public bool IsLeader => _leader;

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await TryOnceAsync(ct);
                await Task.Delay(_retry, ct);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>One step: takes the lease if free, or checks that the connection holding it is still there. Returns whether this controller leads.</summary>
    public async Task<bool> TryOnceAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_connection is null)
            {
                _connection = new NpgsqlConnection(_connectionString);
                await _connection.OpenAsync(ct);
            }
            if (_leader)
            {
                await using var ping = new NpgsqlCommand("SELECT 1", _connection);
                await ping.ExecuteScalarAsync(ct);
            }
            else
            {
                await using var take = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockKey})", _connection);
                if ((bool)(await take.ExecuteScalarAsync(ct))!)
                {
                    _leader = true;
                    log.LogInformation("this controller leads (TTL, lost hosts, event retention)");
                }
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or System.IO.IOException)
        {
            if (_leader) log.LogWarning("this controller stopped leading: its lease connection failed ({Error})", e.Message);
            _leader = false;
            await DropConnectionAsync();
        }
        finally
        {
            _gate.Release();
        }
        return _leader;
    }

    private async Task DropConnectionAsync()
    {
        if (_connection is null) return;
        try { await _connection.DisposeAsync(); }
        catch (Exception e) when (e is NpgsqlException or System.IO.IOException or InvalidOperationException) { }
        _connection = null;
    }

    /// <summary>
    /// Releases the lock (explicitly: a closed connection's backend lets go of it only when it has ended) so another
    /// controller leads from its next try.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_leader && _connection is not null)
            {
                try
                {
                    await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", _connection);
                    await release.ExecuteScalarAsync();
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or System.IO.IOException) { }
            }
            _leader = false;
            await DropConnectionAsync();
        }
        finally
        {
            _gate.Release();
        }
    }
}
