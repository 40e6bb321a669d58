namespace Hive.Daemon.Events;

/// <summary>
/// In a log several controllers write, the event writer hands out provisional ids (-1, -2, …) at once and learns each
/// one's final id when its batch commits. Both go up together, so the mapping is kept as runs of consecutive ids: one
/// run while no other controller writes in between, one per batch at worst. The oldest runs are forgotten past
/// <see cref="MaxRuns"/> (an id named that much later is written as null).
/// </summary>
public sealed class ProvisionalIds
{
    public const int MaxRuns = 1 << 16;
    private readonly List<(long Start, long Final, long Count)> _runs = []; // Start: -provisional, increasing

    public void Add(long provisional, long final)
    {
        var at = -provisional;
        if (_runs.Count > 0)
        {
            var (start, f, count) = _runs[^1];
            if (at == start + count && final == f + count)
            {
                _runs[^1] = (start, f, count + 1);
                return;
            }
        }
        _runs.Add((at, final, 1));
        if (_runs.Count > MaxRuns) _runs.RemoveRange(0, MaxRuns / 2);
    }

    public bool TryResolve(long provisional, out long final)
    {
        final = 0;
        var at = -provisional;
        int lo = 0, hi = _runs.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var (start, f, count) = _runs[mid];
            if (at < start) hi = mid - 1;
            else if (at >= start + count) lo = mid + 1;
            else
            {
                final = f + (at - start);
                return true;
            }
        }
        return false;
    }
}
