using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using Hive.Core.Processes;

namespace Hive.Mcp.Tools;

/// <summary>
/// The <c>bash</c> tool: one <c>bash -c</c> per call, started in the session's working directory, which is
/// read back when the command exits (so <c>cd</c> persists, and nothing else does, as in coding agents' shells).
/// Output is streamed through fixed-size buffers: any amount of it costs the same memory.
/// </summary>
public sealed class BashRunner(BashOptions options)
{
    public const int DefaultTimeoutMs = 120_000;
    public const int MaxTimeoutMs = 600_000;

    public async Task<BashResult> RunAsync(ShellSession session, string command, int? timeoutMs, string? cwd, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(command)) throw new ToolException("command is required");
        string? note = null;
        var timeout = timeoutMs ?? DefaultTimeoutMs;
        if (timeout <= 0) throw new ToolException($"timeout must be a positive number of milliseconds (at most {MaxTimeoutMs})");
        if (timeout > MaxTimeoutMs)
        {
            note = $"timeout {timeout} ms lowered to the maximum, {MaxTimeoutMs} ms";
            timeout = MaxTimeoutMs;
        }

        var start = cwd is null ? session.Cwd : ToolPaths.Resolve(cwd, session.Cwd, "cwd");
        if (!Directory.Exists(start))
        {
            if (cwd is not null) throw new ToolException($"bash: cd: {start}: No such file or directory");
            note = Join(note, $"the working directory {start} no longer exists; ran in {session.InitialCwd}");
            start = session.InitialCwd;
        }

        var cwdFile = Path.Combine(options.StateDirectory, $"hive-mcp-cwd-{Guid.NewGuid():N}");
        var psi = new ProcessStartInfo(options.Shell)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = start,
        };
        psi.ArgumentList.Add("-c");
        // The trap records where the command ended up, whichever way it exits (end of script, `exit`, error).
        psi.ArgumentList.Add("trap 'pwd -P > \"$HIVE_MCP_CWD_FILE\" 2>/dev/null' EXIT\n" + command);
        psi.Environment["HIVE_MCP_CWD_FILE"] = cwdFile;

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        using var pipes = new RedirectedPipes(process);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new ToolException($"bash: could not start {options.Shell}: {e.Message}");
        }
        process.StandardInput.Close();

        var stdout = new CappedOutput(options.HeadBytes, options.TailBytes);
        var stderr = new CappedOutput(options.HeadBytes, options.TailBytes);
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, stdout),
            PumpAsync(process.StandardError.BaseStream, stderr));

        var timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = !ct.IsCancellationRequested;
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        // A background job (`server &`) keeps the pipes open after bash exits: stop waiting for it.
        if (await Task.WhenAny(pumps, Task.Delay(options.DrainAfterExit, CancellationToken.None)) != pumps)
        {
            note = Join(note, "a background process still holds the output open; later output is not shown (redirect it to a file)");
        }
        ct.ThrowIfCancellationRequested();

        var endCwd = ReadCwd(cwdFile);
        if (endCwd is not null && cwd is null) session.Cwd = endCwd;
        else if (endCwd is not null && cwd is not null) note = Join(note, $"ran in {start}; the session's working directory stays {session.Cwd}");

        var exitCode = timedOut ? 124 : process.ExitCode;
        return new BashResult(exitCode, stdout.ToText("stdout"), stderr.ToText("stderr"), session.Cwd, timedOut,
            stdout.Truncated || stderr.Truncated, clock.ElapsedMilliseconds, note);
    }

    private static async Task PumpAsync(Stream stream, CappedOutput sink)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0) sink.Append(buffer.AsSpan(0, n));
        }
        catch (IOException)
        {
            // the pipe broke: what was read is kept
        }
        catch (ObjectDisposedException)
        {
            // abandoned after the command exited
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string? ReadCwd(string file)
    {
        try
        {
            var text = File.ReadAllText(file).TrimEnd('\n');
            File.Delete(file);
            return text.Length > 0 && Directory.Exists(text) ? text : null;
        }
        catch (Exception e) when (FsErrors.IsIo(e))
        {
            return null;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        catch (AggregateException)
        {
            // some descendants exited while the tree was walked
        }
    }

    private static string Join(string? a, string b) => a is null ? b : a + "; " + b;
}

/// <summary>How <see cref="BashRunner"/> runs commands; tests shrink the limits.</summary>
public sealed record BashOptions
{
    public string Shell { get; init; } = File.Exists("/bin/bash") ? "/bin/bash" : "/bin/sh";

    /// <summary>Where the per-call working-directory file goes (the sandbox's private /tmp).</summary>
    public string StateDirectory { get; init; } = Path.GetTempPath();

    /// <summary>Bytes of each stream kept from its start and from its end: about 30 000 characters per stream in all.</summary>
    public int HeadBytes { get; init; } = 20_000;
    public int TailBytes { get; init; } = 10_000;

    public TimeSpan DrainAfterExit { get; init; } = TimeSpan.FromSeconds(1);
}
