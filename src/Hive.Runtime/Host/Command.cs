using System.Diagnostics;
using System.Text;
using Hive.Core.Processes;

namespace Hive.Runtime.Host;

/// <summary>The result of a host command the runtime ran (runc, ip, nft).</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Ok => ExitCode == 0;
}

/// <summary>Runs host tools with an argument list (never through a shell) and captures their output.</summary>
public static class Command
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args, string? stdin = null, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        using var pipes = new RedirectedPipes(p);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin.AsMemory(), ct);
        p.StandardInput.Close();
        try
        {
            await p.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        return new CommandResult(p.ExitCode, await stdout, await stderr);
    }

    public static async Task<CommandResult> RunCheckedAsync(string file, IEnumerable<string> args, string? stdin = null, CancellationToken ct = default)
    {
        var list = args as IReadOnlyCollection<string> ?? args.ToList();
        var r = await RunAsync(file, list, stdin, ct);
        if (!r.Ok)
            throw new HostCommandException($"{file} {string.Join(' ', list)} failed (exit {r.ExitCode}): {FirstLines(r.Stderr + r.Stdout)}");
        return r;
    }

    private static string FirstLines(string s)
    {
        var sb = new StringBuilder();
        foreach (var line in s.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(5)) sb.Append(line.Trim()).Append(' ');
        return sb.ToString().Trim();
    }
}

public sealed class HostCommandException(string message) : Exception(message);
