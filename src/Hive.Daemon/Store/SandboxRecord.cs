using Hive.Core.Config;

namespace Hive.Daemon.Store;

public static class SandboxStatus
{
    public const string Creating = "creating";
    public const string Running = "running";
    public const string Stopped = "stopped";
    public const string Failed = "failed";
}

/// <summary>A sandbox as the store keeps it. <see cref="Slot"/> picks its network addresses.</summary>
public sealed record SandboxRecord(string Name, SandboxConfig Config, string Status, DateTimeOffset CreatedAt, int Slot, string? Error = null);
