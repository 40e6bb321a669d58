namespace Hive.Daemon.Store;

public sealed partial class SqliteStore
{
    /// <summary>
    /// The last <paramref name="limit"/> events before <paramref name="before"/> (exclusive), oldest first: paging back from
    /// the newest events (a timeline that opens at its end). Same indexes as <see cref="ReadEvents"/>, read in reverse.
    /// </summary>
    public IReadOnlyList<StoredEvent> ReadEventsBefore(string? sandbox, long before, int limit, IReadOnlyCollection<string>? types = null)
    {
        if (types is { Count: 0 }) return [];
        using var c = Open();
        var page = Query(c, sandbox, types, before, limit, before: true);
        page.Reverse();
        return page;
    }
}
