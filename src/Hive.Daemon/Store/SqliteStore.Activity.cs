namespace Hive.Daemon.Store;

/// <summary>When each sandbox was last used, for the TTL (shared when several controllers use one database).</summary>
public sealed partial class SqliteStore
{
    /// <summary>Schema v5: Unix milliseconds, null until a controller reports a use.</summary>
    private const string ActivityColumn = "ALTER TABLE sandboxes ADD COLUMN last_active INTEGER;";

    public void RecordActivity(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastActive)
    {
        if (lastActive.Count == 0) return;
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var cmd = Command("UPDATE sandboxes SET last_active = MAX(COALESCE(last_active, 0), $t) WHERE name = $n", tx, ("$t", 0L), ("$n", ""));
            foreach (var (name, at) in lastActive)
            {
                cmd.Parameters["$t"].Value = at.ToUnixTimeMilliseconds();
                cmd.Parameters["$n"].Value = name;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }
}
