namespace Hive.Daemon.Store;

/// <summary>One stored event: the common fields plus the type's own fields as JSON.</summary>
public sealed record StoredEvent(long Id, DateTimeOffset Ts, string Sandbox, string Type, string Data);
