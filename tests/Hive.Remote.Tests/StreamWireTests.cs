using System.Text;
using System.Threading.Channels;

namespace Hive.Remote.Tests;

/// <summary>Exec and terminal streams through the real server and client: incremental, ordered, full duplex, cancellable.</summary>
public sealed class StreamWireTests
{
    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task Exec_output_arrives_in_order_as_it_is_produced_not_when_the_command_exits()
    {
        await using var server = await HostServer.StartAsync();
        var received = Channel.CreateUnbounded<(ExecStream, string)>();
        // The fake writes a chunk, then waits until the client has seen it: output held back until exit would deadlock here.
        server.Fake.Exec = async (_, _, onOutput, ct) =>
        {
            for (var i = 0; i < 20; i++)
            {
                var stream = i % 3 == 2 ? ExecStream.Stderr : ExecStream.Stdout;
                await onOutput(stream, Encoding.UTF8.GetBytes($"chunk {i}\n"), ct);
                var (seenStream, seenText) = await received.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
                Assert.Equal((stream, $"chunk {i}\n"), (seenStream, seenText));
            }
            return new ExecOutcome(3, true, 1234);
        };
        var spec = new ExecSpec(["/bin/sh", "-c", "echo hi"], "/work", new Dictionary<string, string> { ["A"] = "1", ["B"] = "x y" }, "input text",
            TimeSpan.FromSeconds(42), 1000, 1001);
        var seen = new List<string>();
        var outcome = await server.Client.ExecAsync(Sandboxes.Hosted(), spec, async (stream, data, _) =>
        {
            var text = Encoding.UTF8.GetString(data.Span);
            seen.Add(text);
            await received.Writer.WriteAsync((stream, text));
        }, Ct);

        Assert.Equal(new ExecOutcome(3, true, 1234), outcome);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"chunk {i}\n"), seen);
        var got = server.Fake.LastSpec!;
        Assert.Equal(spec.Command, got.Command);
        Assert.Equal(spec.Cwd, got.Cwd);
        Assert.Equal(spec.Env, got.Env);
        Assert.Equal(spec.Stdin, got.Stdin);
        Assert.Equal(spec.Timeout, got.Timeout);
        Assert.Equal((1000, 1001), (got.Uid, got.Gid));
    }

    [Fact]
    public async Task Large_output_is_cut_into_frames_and_arrives_whole_and_in_order()
    {
        await using var server = await HostServer.StartAsync();
        var big = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(big);
        server.Fake.Exec = async (_, _, onOutput, ct) =>
        {
            await onOutput(ExecStream.Stdout, big, ct);
            await onOutput(ExecStream.Stderr, "done"u8.ToArray(), ct);
            return new ExecOutcome(0, false, 5);
        };
        using var stdout = new MemoryStream();
        var stderr = "";
        var largest = 0;
        await server.Client.ExecAsync(Sandboxes.Hosted(), new ExecSpec(["x"], null, null, null, null, 0, 0), (stream, data, _) =>
        {
            largest = Math.Max(largest, data.Length);
            if (stream == ExecStream.Stdout) stdout.Write(data.Span);
            else stderr += Encoding.UTF8.GetString(data.Span);
            return ValueTask.CompletedTask;
        }, Ct);
        Assert.Equal(big, stdout.ToArray());
        Assert.Equal("done", stderr);
        Assert.True(largest <= Hive.Host.Abstractions.Wire.Frames.MaxData, $"a frame of {largest} bytes");
    }

    [Fact]
    public async Task Cancelling_an_exec_on_the_controller_cancels_the_command_on_the_host()
    {
        await using var server = await HostServer.StartAsync();
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Fake.Exec = async (_, _, onOutput, ct) =>
        {
            await onOutput(ExecStream.Stdout, "started"u8.ToArray(), ct);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }
            return new ExecOutcome(0, false, 0);
        };
        using var cts = new CancellationTokenSource();
        var clock = new System.Diagnostics.Stopwatch();
        var run = server.Client.ExecAsync(Sandboxes.Hosted(), new ExecSpec(["sleep"], null, null, null, null, 0, 0), (_, _, _) =>
        {
            clock.Start();
            cts.Cancel(); // the controller's client went away once output flowed
            return ValueTask.CompletedTask;
        }, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var ran = clock.Elapsed;
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(ran < TimeSpan.FromSeconds(1), $"the client's exec ended {ran} after");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the host saw the cancellation after {clock.Elapsed}");
    }

    [Fact]
    public async Task Terminal_input_and_resizes_reach_the_host_and_its_output_comes_back_while_the_session_runs()
    {
        await using var server = await HostServer.StartAsync();
        var input = Channel.CreateUnbounded<TerminalInput>();
        var output = Channel.CreateUnbounded<string>();
        var spec = new ExecSpec(["/bin/bash", "-l"], null, new Dictionary<string, string> { ["TERM"] = "xterm-256color" }, null, null, 0, 0);
        var run = server.Client.TerminalAsync(Sandboxes.Hosted(), spec, new TerminalSize(30, 100), input.Reader.ReadAllAsync(),
            async (data, ct) => await output.Writer.WriteAsync(Encoding.UTF8.GetString(data.Span), ct), Ct);

        async Task<string> Next() => await output.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("(30x100)", await Next());
        await input.Writer.WriteAsync(TerminalInput.Typed("ls -l\r"u8.ToArray()));
        Assert.Equal("[ls -l\r]", await Next()); // answered before the next keystroke is sent: full duplex
        await input.Writer.WriteAsync(TerminalInput.Resized(new TerminalSize(50, 120)));
        Assert.Equal("(50x120)", await Next());
        await input.Writer.WriteAsync(TerminalInput.Typed("exit\r"u8.ToArray()));
        Assert.Equal("[exit\r]", await Next());
        Assert.False(run.IsCompleted);

        input.Writer.Complete(); // the user leaves: the host's input ends, and so does the session
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new ExecOutcome(7, false, 3), outcome);
        Assert.Equal(["terminal sb1", "input [ls -l\r]", "input (50x120)", "input [exit\r]"], server.Fake.Calls);
        Assert.Equal("xterm-256color", server.Fake.LastSpec!.Env!["TERM"]);
    }

    [Fact]
    public async Task An_idle_terminal_is_not_cut_by_the_servers_minimum_upload_rate()
    {
        await using var server = await HostServer.StartAsync();
        var input = Channel.CreateUnbounded<TerminalInput>();
        var output = Channel.CreateUnbounded<string>();
        var run = server.Client.TerminalAsync(Sandboxes.Hosted(), new ExecSpec(["sh"], null, null, null, null, 0, 0), TerminalSize.Default,
            input.Reader.ReadAllAsync(), async (data, ct) => await output.Writer.WriteAsync(Encoding.UTF8.GetString(data.Span), ct), Ct);
        Assert.Equal("(24x80)", await output.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        await Task.Delay(TimeSpan.FromSeconds(8)); // past Kestrel's 5 s grace at its 240 bytes/s minimum
        await input.Writer.WriteAsync(TerminalInput.Typed("still here"u8.ToArray()));
        Assert.Equal("[still here]", await output.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        input.Writer.Complete();
        Assert.Equal(7, (await run.WaitAsync(TimeSpan.FromSeconds(10))).ExitCode);
    }
}
