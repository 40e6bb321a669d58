using Hive.Core.Processes;
using System.Buffers;
using System.Diagnostics;

namespace Hive.Runtime.Host;

/// <summary>Runs a command in a running container with <c>runc exec</c>, streaming its output as it is written.</summary>
public static class ExecRunner
{
    public const int TimeoutExitCode = 124;

    /// <param name="onOutput">Called once per chunk, never concurrently, in the order each stream produced it.</param>
    public static async Task<ExecOutcome> RunAsync(Runc runc, string containerId, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"hive-exec-{Guid.NewGuid():N}.pid");
        var psi = new ProcessStartInfo(runc.Binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var args = new List<string> { "--root", runc.StateRoot, "exec", "--user", $"{spec.Uid}:{spec.Gid}", "--pid-file", pidFile };
        if (!string.IsNullOrEmpty(spec.Cwd)) { args.Add("--cwd"); args.Add(spec.Cwd); }
        if (spec.Env is not null)
            foreach (var (k, v) in spec.Env) { args.Add("--env"); args.Add($"{k}={v}"); }
        args.Add(containerId);
        args.AddRange(spec.Command);
        foreach (var a in args) psi.ArgumentList.Add(a);

        var clock = Stopwatch.StartNew();
        using var process = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start runc exec");
        using var pipes = new RedirectedPipes(process);
        using var timeout = spec.Timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var gate = new SemaphoreSlim(1, 1);
        var timedOut = false;
        try
        {
            var stdin = WriteStdinAsync(process, spec.Stdin, linked.Token);
            var stdout = PumpAsync(process.StandardOutput.BaseStream, ExecStream.Stdout, onOutput, gate, linked.Token);
            var stderr = PumpAsync(process.StandardError.BaseStream, ExecStream.Stderr, onOutput, gate, linked.Token);
            await process.WaitForExitAsync(linked.Token);
            await Task.WhenAll(stdout, stderr, stdin);
            return new ExecOutcome(process.ExitCode, false, clock.ElapsedMilliseconds);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            timedOut = true;
            return new ExecOutcome(TimeoutExitCode, true, clock.ElapsedMilliseconds);
        }
        finally
        {
            if (!process.HasExited) KillExec(process, pidFile);
            if (timedOut || ct.IsCancellationRequested) await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
            TryDelete(pidFile);
        }
    }

    /// <summary>Kills the command inside the container (by the host PID runc recorded), then runc itself.</summary>
    private static void KillExec(System.Diagnostics.Process runcExec, string pidFile)
    {
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && pid > 1)
            Libc.Kill(pid, Libc.SIGKILL);
        try { runcExec.Kill(); } catch (InvalidOperationException) { }
    }

    private static async Task WriteStdinAsync(System.Diagnostics.Process p, string? stdin, CancellationToken ct)
    {
        try
        {
            if (!string.IsNullOrEmpty(stdin)) await p.StandardInput.WriteAsync(stdin.AsMemory(), ct);
            p.StandardInput.Close();
        }
        catch (IOException) { } // the command exited without reading all its input
    }

    private static async Task PumpAsync(Stream stream, ExecStream kind,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, SemaphoreSlim gate, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                await gate.WaitAsync(ct);
                try { await onOutput(kind, buffer.AsMemory(0, n), ct); }
                finally { gate.Release(); }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
