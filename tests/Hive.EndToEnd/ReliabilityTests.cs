using Xunit.Abstractions;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>The daemon under repeated work and faults: no descriptor leaks, no 500 when a sandbox goes away, bounded memory.</summary>
public sealed class ReliabilityTests(SharedDaemon fixture, ITestOutputHelper output) : IClassFixture<SharedDaemon>
{
    private HiveConnection Hive => fixture.Hive;
    private int Pid => fixture.Daemon.Pid;

    [Fact]
    public async Task Open_descriptors_stay_flat_over_100_create_and_delete_cycles()
    {
        // Warm up: first uses open what stays open (the database, the image store, pools).
        for (var i = 0; i < 5; i++) await CycleAsync();
        var before = ProcessStats.OpenFds(Pid);
        for (var i = 0; i < 100; i++) await CycleAsync();
        var after = ProcessStats.OpenFds(Pid);
        output.WriteLine($"open descriptors: {before} after 5 cycles, {after} after 105");
        Assert.True(after - before <= 25, $"open descriptors went from {before} to {after} over 100 cycles: {ProcessStats.Describe(Pid)}");
    }

    private async Task CycleAsync()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("fd"), SharedDaemon.Minimal());
        await sb.DeleteAsync();
    }

    [Fact]
    public async Task An_exec_whose_sandbox_is_deleted_while_it_runs_answers_gone_not_500()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("gone"), SharedDaemon.Minimal());
        var exec = sb.ExecAsync(["sh", "-c", "sleep 60"]);
        await Task.Delay(1500);
        await sb.DeleteAsync();
        var outcome = await Outcome(exec);
        Assert.True(outcome is 409 or 410 or -1, $"the exec answered {outcome}");
    }

    [Fact]
    public async Task A_streamed_exec_whose_sandbox_is_deleted_while_it_runs_ends_with_an_error_frame()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("gones"), SharedDaemon.Minimal());
        var frames = new List<ExecFrame>();
        var started = new TaskCompletionSource();
        var stream = Task.Run(async () =>
        {
            await foreach (var f in sb.ExecStreamAsync(["sh", "-c", "echo started; sleep 60"]))
            {
                frames.Add(f);
                started.TrySetResult();
            }
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await sb.DeleteAsync();
        var outcome = await Outcome(stream);
        Assert.True(outcome is 409 or 410 || frames.Any(f => f.Kind == ExecFrameKind.Exit), $"the stream ended with {outcome}");
    }

    /// <summary>-1 when the task completed, else the status of the HiveException it threw (0 for a stream cut without one).</summary>
    private static async Task<int> Outcome(Task task)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(60));
            return -1;
        }
        catch (HiveException e)
        {
            return e.Status;
        }
    }

    [Fact]
    public async Task Fifty_megabytes_of_output_do_not_grow_the_daemon_by_more_than_100_MB()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("big"), SharedDaemon.Minimal());
        try
        {
            const int size = 50 * 1024 * 1024;
            var command = $"head -c {size} /dev/zero | tr '\\0' a";
            await sb.ExecAsync(["sh", "-c", "echo warm"]);
            var before = ProcessStats.Rss(Pid);

            var whole = await sb.ExecAsync(["sh", "-c", command]);
            var afterWhole = ProcessStats.Rss(Pid);
            output.WriteLine($"RSS: {before >> 20} MB before, {afterWhole >> 20} MB after the whole answer");
            const long limit = 100L * 1024 * 1024;
            Assert.True(afterWhole - before < limit, $"RSS grew by {(afterWhole - before) >> 20} MB for a whole answer");
            Assert.Equal(0, whole.ExitCode);
            Assert.True(whole.StdoutTruncated);
            Assert.False(whole.StderrTruncated);
            Assert.Equal(1024 * 1024, whole.Stdout.Length);
            Assert.Contains($"{size} bytes", whole.Note);

            long streamed = 0;
            var largest = 0;
            await foreach (var f in sb.ExecStreamAsync(["sh", "-c", command]))
                if (f.Kind == ExecFrameKind.Stdout)
                {
                    streamed += f.Data!.Length;
                    largest = Math.Max(largest, f.Data.Length);
                }
            var afterStream = ProcessStats.Rss(Pid);
            output.WriteLine($"RSS: {afterStream >> 20} MB after streaming");

            Assert.Equal(size, streamed);
            Assert.True(largest <= 4096, $"an SSE frame carried {largest} characters");
            Assert.True(afterStream - before < limit, $"RSS grew by {(afterStream - before) >> 20} MB after a streamed one");
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }
}
