namespace Hive.Mcp.Tools;

/// <summary>The outcome of one <c>bash</c> call, already capped to what the model may read.</summary>
public sealed record BashResult(int ExitCode, string Stdout, string Stderr, string Cwd, bool TimedOut, bool Truncated, long DurationMs, string? Note)
{
    /// <summary>The text the model reads: stdout, then stderr, then how it ended.</summary>
    public string ToText()
    {
        var parts = new List<string>(4);
        if (Stdout.Length > 0) parts.Add(Stdout.TrimEnd('\n'));
        if (Stderr.Length > 0) parts.Add("[stderr]\n" + Stderr.TrimEnd('\n'));
        if (Note is not null) parts.Add($"[{Note}]");
        parts.Add(TimedOut ? $"[timed out after {DurationMs / 1000.0:0.#} s: the command was killed; exit code {ExitCode}]" : $"[exit code {ExitCode}]");
        return string.Join('\n', parts);
    }
}
