using System.Diagnostics;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// The interactive terminal (issue 12): one keystroke's round trip over the terminal WebSocket (daemon, hive-init, the
/// pty's echo and back), against an API exec of <c>true</c> (a command's whole round trip), interleaved in one run.
/// </summary>
public static class TerminalBench
{
    public static async Task RunAsync(int runs)
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var hive = daemon.Connect();
        var sandbox = await hive.GetOrCreateSandboxAsync("bench-terminal", new SandboxConfig { Image = "hive/minimal" });
        Console.WriteLine($"hive bench terminal: {runs} runs, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");

        // cat on a terminal in canonical mode: the line discipline echoes each key as it arrives.
        await using var terminal = await sandbox.OpenTerminalAsync(new TerminalOptions { Command = new[] { "cat" } });
        await using var output = terminal.ReadOutputAsync().GetAsyncEnumerator();
        var keystroke = new List<double>();
        var exec = new List<double>();
        for (var i = 0; i < runs + 5; i++)
        {
            var key = (byte)('a' + i % 26);
            var clock = Stopwatch.StartNew();
            await terminal.WriteAsync(new[] { key });
            while (await output.MoveNextAsync() && output.Current.Span.IndexOf(key) < 0) { }
            var k = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            await sandbox.ExecAsync(["/bin/true"]);
            var e = clock.Elapsed.TotalMilliseconds;
            if (i < 5) continue; // warm-up
            keystroke.Add(k);
            exec.Add(e);
        }
        Report("terminal keystroke round trip (p50)", Stats.Percentile(keystroke, 50), Stats.Percentile(exec, 50));
        Report("terminal keystroke round trip (p95)", Stats.Percentile(keystroke, 95), Stats.Percentile(exec, 95));
        await terminal.WriteAsync("\u0004"u8.ToArray());
        await sandbox.DeleteAsync();
    }

    private static void Report(string what, double ms, double baseMs) =>
        Console.WriteLine($"{what,-40} {ms,8:F2} ms   API exec `true` {baseMs,7:F2} ms   ratio {ms / baseMs:F2}x");
}
