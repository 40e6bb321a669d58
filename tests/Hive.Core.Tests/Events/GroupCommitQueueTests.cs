using Hive.Core.Events;

namespace Hive.Core.Tests.Events;

public class GroupCommitQueueTests
{
    // Long enough that only a hurry (Flush, Hurry, Stop) ends a batch's gathering within a test.
    private static readonly TimeSpan LongWindow = TimeSpan.FromMinutes(10);

    [Fact]
    public void Items_numbered_under_the_lock_are_committed_in_that_order_on_the_named_writer_thread()
    {
        var committed = new List<long>();
        var threads = new HashSet<string?>();
        var queue = new GroupCommitQueue<long>("test-group-commit", TimeSpan.FromMilliseconds(1), 64, batch =>
        {
            threads.Add(Thread.CurrentThread.Name);
            committed.AddRange(batch);
        });
        long last = 0;
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 5000; i++)
            {
                using var pending = queue.Open();
                pending.Add(++last);
            }
        });
        queue.Flush();
        Assert.Equal(Enumerable.Range(1, 20000).Select(i => (long)i), committed);
        Assert.Equal(["test-group-commit"], threads);
        queue.Stop();
    }

    [Fact]
    public async Task Flush_waits_for_a_batch_the_writer_already_took()
    {
        using var taken = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var stored = new List<string>();
        var queue = new GroupCommitQueue<string>("test-group-commit", LongWindow, 64, batch =>
        {
            taken.Set();
            release.Wait();
            lock (stored) stored.AddRange(batch);
        });
        using (var pending = queue.Open()) pending.Add("a");
        queue.Hurry();
        Assert.True(taken.Wait(TimeSpan.FromSeconds(30)), "the writer never took the batch");

        var flush = Task.Run(queue.Flush);
        await Task.WhenAny(flush, Task.Delay(200));
        Assert.False(flush.IsCompleted, "Flush returned before the batch in flight was stored");
        release.Set();
        await flush.WaitAsync(TimeSpan.FromSeconds(30));
        lock (stored) Assert.Equal(["a"], stored);
        queue.Stop();
    }

    [Fact]
    public async Task A_failed_commit_fails_its_batchs_waiters_and_the_next_batch_commits()
    {
        var stored = new List<string>();
        var queue = new GroupCommitQueue<string>("test-group-commit", LongWindow, 64, batch =>
        {
            if (batch.Contains("bad")) throw new InvalidOperationException("disk gone");
            stored.AddRange(batch);
        });
        Task failed;
        using (var pending = queue.Open())
        {
            pending.Add("bad");
            failed = pending.Committed;
        }
        queue.Hurry();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("disk gone", e.Message);

        Task ok;
        using (var pending = queue.Open())
        {
            pending.Add("good");
            ok = pending.Committed;
        }
        queue.Hurry();
        await ok.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["good"], stored);
        queue.Stop();
    }

    [Fact]
    public void Stop_commits_what_is_queued_without_waiting_out_the_window()
    {
        var stored = new List<int>();
        var queue = new GroupCommitQueue<int>("test-group-commit", LongWindow, 64, stored.AddRange);
        for (var i = 0; i < 100; i++)
        {
            using var pending = queue.Open();
            pending.Add(i);
        }
        queue.Stop();
        Assert.Equal(Enumerable.Range(0, 100), stored);
    }
}
