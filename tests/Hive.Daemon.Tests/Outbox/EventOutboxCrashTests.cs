using System.Diagnostics;
using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Host.Outbox;

namespace Hive.Daemon.Tests.Outbox;

/// <summary>
/// A host process appending to its outbox is killed with SIGKILL: every event it had flushed is in the file, the file
/// holds a gap-free prefix of what it appended, and the reopened outbox goes on after it.
/// </summary>
public sealed class EventOutboxCrashTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-outbox-crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Events_flushed_before_a_kill_9_are_all_there_and_seqs_go_on_after_them()
    {
        var child = Path.Combine(AppContext.BaseDirectory, "Hive.Outbox.CrashChild.dll");
        Assert.True(File.Exists(child), $"{child} is missing: the test project references tests/helpers/Hive.Outbox.CrashChild");
        var file = Path.Combine(_dir, EventOutbox.FileName);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(file);
        using var process = Process.Start(start)!;
        long durable = 0;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (durable < 20_000 && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                if (line.StartsWith("durable ", StringComparison.Ordinal)) durable = long.Parse(line["durable ".Length..]);
        }
        finally
        {
            process.Kill(); // SIGKILL: no flush, no dispose
            await process.WaitForExitAsync();
        }
        Assert.True(durable >= 20_000, $"the child reported only {durable}: {await process.StandardError.ReadToEndAsync()}");
        Assert.Equal(137, process.ExitCode);

        using var outbox = new EventOutbox(file);
        var events = outbox.Read(int.MaxValue, long.MaxValue);
        Assert.True(events.Count >= durable, $"{events.Count} events in the file, {durable} were flushed");
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        // Nothing torn: each response names its request, each event parses.
        var bySeq = events.ToDictionary(e => e.Seq);
        foreach (var e in events.Where(e => e.Type == EventTypes.EgressResponse))
        {
            var data = JsonNode.Parse(e.Data)!;
            Assert.Equal((int)data["n"]!, (int)JsonNode.Parse(bySeq[(long)data["requestId"]!].Data)!["n"]!);
        }
        Assert.Equal(events[^1].Seq + 1, outbox.Append("box", EventTypes.DnsQuery, "{}"));
    }
}
