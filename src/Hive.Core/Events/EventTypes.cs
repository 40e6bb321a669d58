namespace Hive.Core.Events;

/// <summary>
/// Every event type the daemon records: the one list emitters use, and that docs/events.md must describe
/// (tests/Hive.Docs.Tests fails on a type the docs do not mention, and on a type written as a string literal elsewhere).
/// </summary>
public static class EventTypes
{
    public const string SandboxCreated = "sandbox.created";
    public const string SandboxStarted = "sandbox.started";
    public const string SandboxStopped = "sandbox.stopped";
    public const string SandboxExpired = "sandbox.expired";
    public const string SandboxDestroyed = "sandbox.destroyed";
    public const string SandboxLost = "sandbox.lost";
    public const string ConfigApply = "config.apply";
    public const string ExecRequest = "exec.request";
    public const string ExecResponse = "exec.response";
    public const string EgressRequest = "egress.request";
    public const string EgressResponse = "egress.response";
    public const string EgressApproval = "egress.approval";
    public const string EgressApprovalDecided = "egress.approval.decided";
    public const string DnsQuery = "dns.query";
    public const string FsRequest = "fs.request";
    public const string FsResponse = "fs.response";
    public const string LlmCall = "llm.call";
    public const string SecretUsed = "secret.used";
    public const string SecretMisuse = "secret.misuse";
    public const string SecretRevoked = "secret.revoked";

    public static IReadOnlyList<string> All { get; } =
    [
        SandboxCreated, SandboxStarted, SandboxStopped, SandboxExpired, SandboxDestroyed, SandboxLost, ConfigApply,
        ExecRequest, ExecResponse, EgressRequest, EgressResponse, EgressApproval, EgressApprovalDecided, DnsQuery, FsRequest, FsResponse, LlmCall,
        SecretUsed, SecretMisuse, SecretRevoked,
    ];
}
