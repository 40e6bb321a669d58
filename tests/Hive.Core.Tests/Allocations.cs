namespace Hive.Core.Tests;

/// <summary>Measures what a hot path allocates on the calling thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes <paramref name="round"/> allocated on this thread in its quietest of up to <paramref name="rounds"/> runs
    /// (stopping at the first that allocates nothing). A path that allocates per call allocates in every round; what a
    /// single round can catch besides is the runtime's own one-time work on the thread (tiered compilation swapping a
    /// method's code mid-loop, seen once under CI load), which is not the path's.
    /// </summary>
    public static long Quietest(Action round, int rounds = 3)
    {
        var least = long.MaxValue;
        for (var i = 0; i < rounds && least > 0; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            round();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
