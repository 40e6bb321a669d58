namespace Hive.Daemon.Store;

public static class HostStatus
{
    public const string Live = "live";
    /// <summary>Missed its heartbeats: nothing new is placed on it, its running sandboxes are <c>lost</c>.</summary>
    public const string Lost = "lost";
}

/// <summary>A sandbox host as its heartbeats describe it (cluster mode, table <c>hosts</c>).</summary>
/// <param name="Advertise">The URL the controller dials to reach the host.</param>
/// <param name="Capacity">How many sandboxes it runs at most.</param>
public sealed record HostRecord(string Name, Uri Advertise, int Capacity, IReadOnlyDictionary<string, string> Labels, DateTimeOffset LastSeen, string Status);
