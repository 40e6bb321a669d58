namespace Hive.Host.Abstractions;

public enum ExecStream { Stdout, Stderr }

/// <summary>One command to run in a sandbox.</summary>
public sealed record ExecSpec(
    IReadOnlyList<string> Command,
    string? Cwd,
    IReadOnlyDictionary<string, string>? Env,
    string? Stdin,
    TimeSpan? Timeout,
    int Uid,
    int Gid);

public sealed record ExecOutcome(int ExitCode, bool TimedOut, long DurationMs);
