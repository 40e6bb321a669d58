using System.Diagnostics;

namespace Hive.Files.Tests;

/// <summary>How requests are spread over the worker threads (see ReaderGate).</summary>
[Collection("fuse")]
public class ConcurrencyTests
{
    [Fact]
    public async Task A_slow_request_does_not_hold_up_the_others()
    {
        StallingBackend? backend = null;
        using var f = new FuseFixture(options: new FuseOptions { Threads = 2, Passthrough = false }, backend: root => backend = new StallingBackend(root));
        f.Sh("echo a > a").AssertOk();
        // One caller's fsync hangs in the backend, holding a worker.
        var stalled = Task.Run(() => f.Python("fd = os.open('a', os.O_WRONLY); os.write(fd, b'b'); os.fsync(fd); os.close(fd)"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref backend!.FsyncsWaiting) == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(1, backend.FsyncsWaiting);

        // Everyone else is still served meanwhile, by the other worker.
        var watch = Stopwatch.StartNew();
        f.Sh("stat a > /dev/null && ls > /dev/null && cat a > /dev/null && echo x > b && rm b && mkdir d && rmdir d", timeoutSeconds: 30).AssertOk();
        Assert.Equal(1, backend.FsyncsWaiting);
        Assert.False(stalled.IsCompleted);

        backend.Release.Set();
        (await stalled.WaitAsync(TimeSpan.FromSeconds(30))).AssertOk();
        Assert.Equal("b\n", File.ReadAllText(Path.Combine(f.Backend, "a")));
    }

    [Fact]
    public void Many_callers_at_once_on_few_workers()
    {
        using var f = new FuseFixture(options: new FuseOptions { Threads = 2 });
        f.Sh("""
            for p in 1 2 3 4 5 6; do (mkdir d$p && cd d$p && for i in $(seq 1 200); do echo $i > f$i; cat f$i > /dev/null; done && ls f* | wc -l > count && sync count) & done; wait
            for p in 1 2 3 4 5 6; do test "$(cat d$p/count)" = 200; done
            """).AssertOk();
    }
}
