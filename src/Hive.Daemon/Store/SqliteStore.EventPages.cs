namespace Hive.Daemon.Store;

public sealed partial class SqliteStore
{
    // $a is the exclusive upper bound here: the same binder as the "after" queries, read backwards along the same indexes.
    internal const string EventsBefore = "SELECT id, ts, sandbox, type, data FROM events WHERE id < $a ORDER BY id DESC LIMIT $l";
    internal const string SandboxEventsBefore = "SELECT id, ts, sandbox, type, data FROM events WHERE sandbox = $s AND id < $a ORDER BY id DESC LIMIT $l";
    internal const string TypeEventsBefore = "SELECT id, ts, sandbox, type, data FROM events WHERE type = $t AND id < $a ORDER BY id DESC LIMIT $l";
    internal const string SandboxTypeEventsBefore = "SELECT id, ts, sandbox, type, data FROM events WHERE sandbox = $s AND type = $t AND id < $a ORDER BY id DESC LIMIT $l";

    /// <summary>
    /// The last <paramref name="limit"/> events before <paramref name="before"/> (exclusive), oldest first: paging back from
    /// the newest events (a timeline that opens at its end). Same indexes as <see cref="ReadEvents"/>, read in reverse.
    /// </summary>
    public IReadOnlyList<StoredEvent> ReadEventsBefore(string? sandbox, long before, int limit, IReadOnlyCollection<string>? types = null)
    {
        using var c = Open();
        if (types is not null)
            return EventPageMerge.Before(types.Select(type => Query(c, sandbox is null ? TypeEventsBefore : SandboxTypeEventsBefore, sandbox, type, before, limit)), limit);
        var page = Query(c, sandbox is null ? EventsBefore : SandboxEventsBefore, sandbox, null, before, limit);
        page.Reverse();
        return page;
    }
}
