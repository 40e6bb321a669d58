using Hive.Core.Events;
using Hive.Daemon.Events;
using Hive.Daemon.Settings;
using Hive.Daemon.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hive.Daemon.Tests;

public sealed class EventRetentionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-retention-tests-").FullName;
    private readonly HiveStore _store;

    public EventRetentionTests() => _store = new HiveStore(DbPath);

    private string DbPath => Path.Combine(_dir, "hive.db");

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private long _nextId = 1;

    private void Insert(int count, DateTimeOffset ts, int dataBytes = 40)
    {
        var data = "{\"pad\":\"" + new string('x', dataBytes) + "\"}";
        var batch = new List<StoredEvent>();
        for (var i = 0; i < count; i++) batch.Add(new StoredEvent(_nextId++, ts, "box", EventTypes.EgressRequest, data));
        _store.InsertEvents(batch);
    }

    [Fact]
    public void Events_older_than_the_retention_are_deleted_and_recent_ones_kept()
    {
        Insert(5000, Now.AddDays(-40));
        Insert(300, Now.AddDays(-29));
        var deleted = _store.PruneEvents(Now, TimeSpan.FromDays(30), null);
        Assert.Equal(5000, deleted);
        Assert.Equal(5001, _store.FirstEventId());
        Assert.Equal(300, _store.ReadEvents(null, 0, 10_000).Count);
    }

    [Fact]
    public void A_model_calls_bodies_go_with_its_request_event()
    {
        Insert(10, Now.AddDays(-40));
        Insert(10, Now);
        var bodies = new Hive.Core.Llm.LlmBodies(new("{\"q\":1}", "application/json", 7, false), new("data: x", "text/event-stream", 7, true));
        _store.InsertLlmBodies("box", 5, bodies);
        _store.InsertLlmBodies("box", 15, bodies);
        Assert.Equal(bodies, _store.FindLlmBodies("box", 5));
        Assert.Null(_store.FindLlmBodies("other", 5)); // another sandbox's call is not found
        _store.PruneEvents(Now, TimeSpan.FromDays(30), null);
        Assert.Null(_store.FindLlmBodies("box", 5));
        Assert.Equal(bodies, _store.FindLlmBodies("box", 15));
    }

    [Fact]
    public void The_newest_event_is_kept_even_when_old_so_ids_continue_after_a_restart()
    {
        Insert(10, Now.AddDays(-100));
        _store.PruneEvents(Now, TimeSpan.FromDays(1), null);
        Assert.Equal([10L], _store.ReadEvents(null, 0, 100).Select(e => e.Id));
        _store.Dispose();
        using var reopened = new HiveStore(DbPath);
        Assert.Equal(10, reopened.LastEventId());
    }

    [Fact]
    public void A_log_past_its_size_limit_is_pruned_from_the_oldest_to_below_the_limit()
    {
        Insert(20_000, Now, dataBytes: 1000); // about 20 MB
        var limit = 8L * 1024 * 1024;
        Assert.True(_store.UsedBytes() > limit);
        var deleted = _store.PruneEvents(Now, null, limit);
        Assert.True(deleted > 0);
        Assert.True(_store.UsedBytes() <= limit, $"{_store.UsedBytes()} bytes in use after pruning to {limit}");
        var left = _store.ReadEvents(null, 0, 100_000);
        Assert.Equal(20_000, left[^1].Id);
        Assert.Equal(20_000 - deleted, left.Count);
        Assert.Equal(left[0].Id, _store.FirstEventId());
        Assert.Equal(0, _store.PruneEvents(Now, null, limit)); // below the limit: nothing more
    }

    [Fact]
    public async Task Events_written_while_pruning_are_all_stored()
    {
        Insert(30_000, Now.AddDays(-60));
        var pruning = Task.Run(() => _store.PruneEvents(Now, TimeSpan.FromDays(30), null));
        var written = 0;
        while (!pruning.IsCompleted || written < 200)
        {
            Insert(5, Now);
            written += 5;
        }
        // All old events go, but the one that was newest when a batch was read is kept until a newer one exists.
        Assert.InRange(await pruning, 29_999, 30_000);
        var recent = _store.ReadEvents(null, 30_000, 100_000);
        Assert.Equal(written, recent.Count);
        Assert.Equal(Enumerable.Range(30_001, written).Select(i => (long)i), recent.Select(e => e.Id));
    }

    [Fact]
    public void Limits_set_to_zero_keep_everything()
    {
        Insert(100, Now.AddYears(-5));
        var retention = new EventRetention(_store, new EventRetentionSettings(0, 0), NullLogger.Instance);
        Assert.Equal(0, retention.PruneOnce());
        Assert.Equal(100, _store.ReadEvents(null, 0, 1000).Count);
    }
}
