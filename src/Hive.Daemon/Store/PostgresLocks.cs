namespace Hive.Daemon.Store;

/// <summary>
/// Every PostgreSQL advisory lock key Hive takes, in one place so that no two uses can share one (a leader holding the
/// event-id lock for its whole session once stalled every event write).
/// </summary>
public static class PostgresLocks
{
    /// <summary>Transaction lock: controllers starting together migrate the schema once.</summary>
    public const long Schema = 7406231640;

    /// <summary>Transaction lock: event ids are assigned in commit order by whichever controller writes.</summary>
    public const long EventIds = 7406231641;

    /// <summary>Session lock on a dedicated connection: the controller holding it leads (TTL, lost hosts, retention).</summary>
    public const long Leader = 7406231642;
}
