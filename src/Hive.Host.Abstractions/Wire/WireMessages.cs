using System.Text.Json.Nodes;
using Hive.Core.Config;
using Hive.Host.Abstractions.Approvals;

namespace Hive.Host.Abstractions.Wire;

// The host API's JSON bodies. A sandbox travels as its name and its normalised config as JSON text (ConfigJson, not
// redacted: the host needs the real override values), which the host parses back to an equal config.

public sealed record WireSandbox(string Name, string Config);
public sealed record WireStartup(IReadOnlyList<WireSandbox> Known);
public sealed record WireRunningSet(IReadOnlyList<string> Running);
public sealed record WireConfig(string Config);

/// <summary>
/// A check; with <paramref name="StorageCredentials"/> (secret name → value, for <c>fs[].credentials</c>) the host also
/// asks each object store. The values are used for the check only, never kept or logged.
/// </summary>
public sealed record WireCheck(string Config, IReadOnlyDictionary<string, string>? StorageCredentials = null)
{
    public override string ToString() => $"check ({StorageCredentials?.Count ?? 0} storage credentials)";
}
public sealed record WireApply(string Config, string Proposed);
public sealed record WireFlag(bool Value);
public sealed record WireError(string Path, string Message);
public sealed record WireErrors(IReadOnlyList<WireError> Errors);
public sealed record WireShutdown(IReadOnlyList<WireSandbox> Sandboxes);
public sealed record WireFile(string Config, string Path);
public sealed record WireIngressReady(string Config, long LimitMs);
public sealed record WireFileEntry(string Name, string Type, long Size, DateTimeOffset Mtime);
public sealed record WireUsage(long IntervalMs, int Capacity, IReadOnlyList<UsageSample> Samples);

public sealed record WireExecSpec(IReadOnlyList<string> Command, string? Cwd, IReadOnlyDictionary<string, string>? Env, string? Stdin,
    long? TimeoutMs, int Uid, int Gid)
{
    public static WireExecSpec From(ExecSpec s) =>
        new(s.Command, s.Cwd, s.Env, s.Stdin, s.Timeout is { } t ? (long)t.TotalMilliseconds : null, s.Uid, s.Gid);

    public ExecSpec ToSpec() => new(Command, Cwd, Env, Stdin, TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, Uid, Gid);
}

/// <summary>The first frame of an exec or terminal request; a terminal also gives its window size.</summary>
public sealed record WireExec(string Config, WireExecSpec Spec, int? Rows = null, int? Cols = null);

public sealed record WireOutcome(int ExitCode, bool TimedOut, long DurationMs)
{
    public static WireOutcome From(ExecOutcome o) => new(o.ExitCode, o.TimedOut, o.DurationMs);
    public ExecOutcome ToOutcome() => new(ExitCode, TimedOut, DurationMs);
}

/// <summary>
/// A problem body (RFC 9457) that also carries the <see cref="HostException"/>'s kind and config errors, so the
/// controller rethrows the same exception. A problem without a kind is the host's internal error.
/// </summary>
public sealed record WireProblem(string Type, string Title, int Status, string Detail, HostErrorKind? Kind = null, IReadOnlyList<WireError>? Errors = null)
{
    public static WireProblem From(HostException e) =>
        new($"https://hive.dev/problems/{StatusOf(e.Kind)}", e.Title, StatusOf(e.Kind), e.Message, e.Kind, e.Errors?.Select(x => new WireError(x.Path, x.Message)).ToList());

    public static WireProblem Internal(string detail) => new("https://hive.dev/problems/500", "Internal error", 500, detail);

    public static int StatusOf(HostErrorKind kind) => kind.HttpStatus();

    /// <summary>The exception the controller throws for this problem: the same <see cref="HostException"/>, or an internal error naming the host.</summary>
    public Exception ToException(string host) => Kind is { } kind
        ? new HostException(kind, Title, Detail, Errors?.Select(e => new ConfigError(e.Path, e.Message)).ToList())
        : new InvalidOperationException($"host {host} failed: {Detail}");
}

// Approvals.
public sealed record WireHeld(string Id, string Sandbox, string Kind, string Host, int Port, string Method, string? Path, int? Rule,
    DateTimeOffset Created, DateTimeOffset ExpiresAt, int Waiters);
public sealed record WireApprovalOutcome(string Decision, string? By, string Reason)
{
    public static WireApprovalOutcome From(ApprovalOutcome o) => new(o.Decision, o.By, o.Reason);
    public ApprovalOutcome ToOutcome() => new(Decision, By, Reason);
}
public sealed record WireApprovalState(WireHeld? Held, WireApprovalOutcome? Outcome);
/// <param name="Type"><c>pending</c>, <c>decided</c>, or <c>synced</c> (everything pending at the start of a watch was sent).</param>
public sealed record WireApprovalChange(string Type, WireHeld? Request, WireApprovalOutcome? Outcome);
public sealed record WireDecide(WireApprovalOutcome Outcome, JsonObject Details);
/// <summary>A claim's answer: whether this controller has the request, and for how long unless it renews the claim.</summary>
public sealed record WireClaim(bool Claimed, long LeaseMs);
