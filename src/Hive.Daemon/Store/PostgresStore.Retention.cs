namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    /// <summary>Index entries per event (four indexes), each a key, a heap pointer and a header: added to the row's own size.</summary>
    private const string SampledRowBytes = """
        SELECT COALESCE(AVG(pg_column_size(e.*) + 4 * 24 + 2 * octet_length(sandbox) + 2 * octet_length(type)), 0)
        FROM (SELECT * FROM events ORDER BY id DESC LIMIT 1000) e
        """;

    public long PruneEvents(DateTimeOffset now, TimeSpan? maxAge, long? maxBytes, CancellationToken ct = default)
    {
        long deleted = 0;
        if (maxAge is { } age)
        {
            var cutoff = now - age;
            while (!ct.IsCancellationRequested && OldestBefore(cutoff) is { } upTo)
            {
                var n = DeleteBatch("id <= @upTo", ("upTo", upTo));
                if (n == 0) break;
                deleted += n;
            }
        }
        // PostgreSQL frees deleted rows' space for reuse (autovacuum) but its files do not shrink: the size held under the
        // limit is the live events' (see UsedBytes), and the oldest events beyond what fits in 90% of it go.
        if (maxBytes is { } max && UsedBytes() is var used && used > max)
        {
            var (first, last) = (FirstEventId(), LastEventId());
            var keep = (long)((double)(last - first + 1) * (max / 10 * 9) / used);
            var upTo = last - keep;
            while (!ct.IsCancellationRequested)
            {
                var n = DeleteBatch("id <= @upTo", ("upTo", upTo));
                if (n == 0) break;
                deleted += n;
            }
        }
        return deleted;
    }

    /// <summary>
    /// An estimate of the live event log's bytes, rows and index entries: the newest 1,000 events' average stored size
    /// times the events held (ids are consecutive, so last − first + 1). Counting every row of a 10-million-event table
    /// on each retention pass would cost more than the estimate's error.
    /// </summary>
    public long UsedBytes()
    {
        using var c = _db.OpenConnection();
        var row = Convert.ToDouble(Scalar(c, null, SampledRowBytes), System.Globalization.CultureInfo.InvariantCulture);
        var count = (long)Scalar(c, null, "SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM events")!;
        return (long)(row * count);
    }

    /// <summary>
    /// The last id of the oldest batch of events that are all older than <paramref name="cutoff"/> (null when the oldest is
    /// not): read along the primary key from the start, so a log with nothing to prune costs one short read, not a scan.
    /// </summary>
    private long? OldestBefore(DateTimeOffset cutoff)
    {
        using var c = _db.OpenConnection();
        using var head = Command(c, null, $"SELECT id, ts FROM events WHERE id < (SELECT MAX(id) FROM events) ORDER BY id LIMIT {IHiveStore.PruneBatchSize}");
        using var r = head.ExecuteReader();
        long? upTo = null;
        while (r.Read() && r.GetFieldValue<DateTimeOffset>(1) < cutoff) upTo = r.GetInt64(0);
        return upTo;
    }

    /// <summary>
    /// One transaction: the oldest events matching <paramref name="where"/>, at most a batch, never the newest event,
    /// and the model-call bodies of the requests deleted.
    /// </summary>
    private int DeleteBatch(string where, (string, object?) arg)
    {
        using var c = _db.OpenConnection();
        using var tx = c.BeginTransaction();
        long upTo;
        int n;
        using (var delete = Command(c, tx, $"""
            WITH gone AS (
              DELETE FROM events WHERE id IN (
                SELECT id FROM events WHERE {where} AND id < (SELECT MAX(id) FROM events) ORDER BY id LIMIT {IHiveStore.PruneBatchSize})
              RETURNING id)
            SELECT COALESCE(MAX(id), 0), COUNT(*) FROM gone
            """, arg))
        using (var r = delete.ExecuteReader())
        {
            r.Read();
            (upTo, n) = (r.GetInt64(0), (int)r.GetInt64(1));
        }
        if (n > 0) Run(c, tx, "DELETE FROM llm_bodies WHERE request_id <= @upTo", ("upTo", upTo));
        tx.Commit();
        return n;
    }
}
