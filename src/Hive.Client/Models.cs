using System.Text.Json.Serialization;

namespace HiveClient;

/// <summary>A sandbox as the daemon describes it (the JSON of <c>GET /v1/sandboxes/{name}</c>).</summary>
public sealed class SandboxInfo
{
    public string Name { get; set; } = "";

    /// <summary><c>creating</c>, <c>running</c>, <c>stopped</c>, <c>failed</c> or <c>lost</c> (cluster mode: its host sends no heartbeats).</summary>
    public string Status { get; set; } = "";

    public string? Image { get; set; }

    /// <summary>Cluster mode: the host the controller placed the sandbox on (null on a single daemon).</summary>
    public string? Host { get; set; }

    public SandboxConfig Config { get; set; } = new();

    /// <summary>Where the sandbox's port 8080 is reached through the daemon.</summary>
    public string Url { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>What <c>GET /v1/health</c> says.</summary>
public sealed class HealthInfo
{
    public string Status { get; set; } = "";
    public string? Version { get; set; }
}

/// <summary>The outcome of applying a config.</summary>
public sealed class ApplyResult
{
    public bool Applied { get; set; }
    public SandboxConfig Config { get; set; } = new();
    public IReadOnlyList<string> Changes { get; set; } = [];
    public IReadOnlyList<string> Warnings { get; set; } = [];
}

/// <summary>
/// A command to run: an argv list (<c>new[] { "ls", "-la" }</c>) or a shell string (<c>"ls -la | wc -l"</c>),
/// both convertible implicitly.
/// </summary>
[JsonConverter(typeof(ExecCommandConverter))]
public sealed class ExecCommand
{
    /// <summary>The argv form, or null for a shell string.</summary>
    public IReadOnlyList<string>? Argv { get; }

    /// <summary>The shell string form, or null for argv.</summary>
    public string? Shell { get; }

    public ExecCommand(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0) throw new ArgumentException("A command needs at least one word.", nameof(argv));
        Argv = argv;
    }

    public ExecCommand(string shell)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shell);
        Shell = shell;
    }

    public static implicit operator ExecCommand(string[] argv) => new(argv);
    public static implicit operator ExecCommand(List<string> argv) => new(argv);
    public static implicit operator ExecCommand(string shell) => new(shell);

    public override string ToString() => Shell ?? string.Join(' ', Argv!);
}

/// <summary>Body of <c>POST /v1/sandboxes/{name}/exec</c>.</summary>
public sealed class ExecRequest
{
    public required ExecCommand Command { get; set; }

    /// <summary>Working directory inside the sandbox.</summary>
    public string? Cwd { get; set; }

    /// <summary>Extra environment variables for this command.</summary>
    public Dictionary<string, string>? Env { get; set; }

    /// <summary>Text fed to the command's standard input.</summary>
    public string? Stdin { get; set; }

    /// <summary>Kill the command after this many milliseconds.</summary>
    public int? TimeoutMs { get; set; }
}

/// <summary>The outcome of a command run to completion.</summary>
public sealed class ExecResult
{
    public int ExitCode { get; set; }
    public string Stdout { get; set; } = "";
    public string Stderr { get; set; } = "";
    public long DurationMs { get; set; }
    public bool TimedOut { get; set; }

    /// <summary>Whether <see cref="Stdout"/> holds only the first MiB of the command's standard output (stream the command for all of it).</summary>
    public bool StdoutTruncated { get; set; }

    /// <summary>Whether <see cref="Stderr"/> holds only the first MiB of the command's standard error.</summary>
    public bool StderrTruncated { get; set; }

    /// <summary>Set when output was cut: how much there was, and how to get all of it.</summary>
    public string? Note { get; set; }
}

public enum ExecFrameKind { Stdout, Stderr, Exit }

/// <summary>One frame of a streamed command: a chunk of output, or its exit.</summary>
public sealed record ExecFrame(ExecFrameKind Kind, string? Data = null, int? ExitCode = null, long? DurationMs = null, bool TimedOut = false);

/// <summary>An entry of a directory listing.</summary>
public sealed class FileEntry
{
    public string Name { get; set; } = "";

    /// <summary><c>file</c>, <c>dir</c>, <c>symlink</c> or <c>other</c>.</summary>
    public string Type { get; set; } = "";

    public long Size { get; set; }

    /// <summary>Last modification; the daemon may send RFC 3339 or Unix seconds.</summary>
    [JsonConverter(typeof(FlexibleTimeConverter))]
    public DateTimeOffset? Mtime { get; set; }

    public bool IsDirectory => Type == "dir";
}

/// <summary>An RFC 7807 problem as the daemon sends it.</summary>
internal sealed class Problem
{
    public string? Type { get; set; }
    public string? Title { get; set; }
    public int? Status { get; set; }
    public string? Detail { get; set; }
    public List<HiveFieldError>? Errors { get; set; }
}

internal sealed class ExecChunk
{
    public string? Data { get; set; }
}

internal sealed class ExecExit
{
    public int ExitCode { get; set; }
    public long DurationMs { get; set; }
    public bool TimedOut { get; set; }
}

/// <summary>A one-time link that logs a browser in to the Inspector.</summary>
public sealed record InspectorLogin(Uri Url, DateTimeOffset ExpiresAt);
