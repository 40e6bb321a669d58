namespace Hive.Daemon.Store;

/// <summary>
/// Type-filtered pages are read one indexed query per type (so a rare type costs what its own events cost, not a scan
/// of the log) and merged here by id, the same way by every store.
/// </summary>
internal static class EventPageMerge
{
    /// <summary>Pages read forward (each oldest first) merged into the first <paramref name="limit"/> events by id.</summary>
    public static List<StoredEvent> After(IEnumerable<List<StoredEvent>> pages, int typeCount, int limit)
    {
        var merged = new List<StoredEvent>();
        foreach (var page in pages) merged.AddRange(page);
        if (typeCount > 1) merged.Sort((a, b) => a.Id.CompareTo(b.Id));
        if (merged.Count > limit) merged.RemoveRange(limit, merged.Count - limit);
        return merged;
    }

    /// <summary>Pages read backward (each newest first) merged into the last <paramref name="limit"/> events, oldest first.</summary>
    public static List<StoredEvent> Before(IEnumerable<List<StoredEvent>> pages, int limit)
    {
        var merged = new List<StoredEvent>();
        foreach (var page in pages) merged.AddRange(page);
        merged.Sort((a, b) => b.Id.CompareTo(a.Id));
        if (merged.Count > limit) merged.RemoveRange(limit, merged.Count - limit);
        merged.Reverse();
        return merged;
    }
}
