using Hive.Core.Config;

namespace Hive.Daemon.Store;

public static class SandboxStatus
{
    public const string Creating = "creating";
    public const string Running = "running";
    public const string Stopped = "stopped";
    public const string Failed = "failed";
    /// <summary>Its host stopped sending heartbeats (cluster mode); running again when the host returns with it.</summary>
    public const string Lost = "lost";
}

/// <summary>
/// A sandbox as the store keeps it. <see cref="Slot"/> is from before hosts kept their own slots (schema v3 writes 0):
/// only read once, to seed a host's slot table after the upgrade. <see cref="Host"/> is where the controller placed it
/// (null: not placed, or the local host of role <c>all</c>).
/// </summary>
public sealed record SandboxRecord(string Name, SandboxConfig Config, string Status, DateTimeOffset CreatedAt, int Slot, string? Error = null)
{
    public string? Host { get; init; }

    /// <summary>When a controller last saw it used (<see cref="IHiveStore.RecordActivity"/>); null before any did.</summary>
    public DateTimeOffset? LastActive { get; init; }
}
