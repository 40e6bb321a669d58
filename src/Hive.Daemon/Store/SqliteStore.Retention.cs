using System.Globalization;

namespace Hive.Daemon.Store;

public sealed partial class SqliteStore
{
    /// <summary>
    /// Deletes the oldest events while they are older than <paramref name="maxAge"/> or the database uses more than
    /// <paramref name="maxBytes"/> (then down to 90% of it, so that a full log is not pruned on every pass), one batch per
    /// transaction, with the model-call bodies of the deleted requests. The newest event is always kept: its id is where the event writer continues after a restart.
    /// Returns how many events were deleted.
    /// </summary>
    public long PruneEvents(DateTimeOffset now, TimeSpan? maxAge, long? maxBytes, CancellationToken ct = default)
    {
        var cutoff = maxAge is { } age ? now - age : (DateTimeOffset?)null;
        long? sizeTarget = maxBytes is { } max && UsedBytes() > max ? max / 10 * 9 : null;
        long deleted = 0;
        while (!ct.IsCancellationRequested)
        {
            var n = PruneOneBatch(cutoff, sizeTarget);
            if (n == 0) break;
            deleted += n;
        }
        return deleted;
    }

    /// <summary>Bytes of the database in use: its pages less the free ones (a file shrinks only by VACUUM; freed pages are reused).</summary>
    public long UsedBytes()
    {
        lock (_writeLock) return UsedBytesLocked();
    }

    /// <summary>The lowest stored event id (0 when none).</summary>
    public long FirstEventId()
    {
        lock (_writeLock)
        {
            using var cmd = Command("SELECT COALESCE(MIN(id), 0) FROM events", null);
            return (long)cmd.ExecuteScalar()!;
        }
    }

    private int PruneOneBatch(DateTimeOffset? cutoff, long? sizeTarget)
    {
        lock (_writeLock)
        {
            var oldest = new List<(long Id, string Ts)>(IHiveStore.PruneBatchSize);
            using (var head = Command("SELECT id, ts FROM events WHERE id < (SELECT MAX(id) FROM events) ORDER BY id LIMIT $n", null, ("$n", IHiveStore.PruneBatchSize)))
            using (var r = head.ExecuteReader())
                while (r.Read()) oldest.Add((r.GetInt64(0), r.GetString(1)));
            if (oldest.Count == 0) return 0;

            var upTo = -1L;
            if (sizeTarget is { } target && UsedBytesLocked() > target) upTo = oldest[^1].Id;
            else if (cutoff is { } c)
                foreach (var (id, ts) in oldest)
                {
                    if (DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture) >= c) break;
                    upTo = id;
                }
            if (upTo < 0) return 0;

            using var tx = _writer.BeginTransaction();
            using var delete = Command("DELETE FROM events WHERE id <= $id", tx, ("$id", upTo));
            var n = delete.ExecuteNonQuery();
            // A model call's bodies go with its request's event.
            using var bodies = Command("DELETE FROM llm_bodies WHERE request_id <= $id", tx, ("$id", upTo));
            bodies.ExecuteNonQuery();
            tx.Commit();
            return n;
        }
    }

    private long UsedBytesLocked()
    {
        using var count = Command("PRAGMA page_count", null);
        using var free = Command("PRAGMA freelist_count", null);
        using var size = Command("PRAGMA page_size", null);
        return ((long)count.ExecuteScalar()! - (long)free.ExecuteScalar()!) * (long)size.ExecuteScalar()!;
    }
}
