namespace Hive.Daemon.Store;

/// <summary>When each sandbox was last used, for the TTL: every controller reports, the leader reads.</summary>
public sealed partial class PostgresStore
{
    public void RecordActivity(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastActive)
    {
        if (lastActive.Count == 0) return;
        using var c = _db.OpenConnection();
        // One statement for the batch; GREATEST keeps a later time another controller stored meanwhile.
        Run(c, null, """
            UPDATE sandboxes SET last_active = GREATEST(COALESCE(sandboxes.last_active, 0), a.at)
            FROM unnest(@names, @times) AS a(name, at) WHERE sandboxes.name = a.name
            """,
            ("names", lastActive.Select(a => a.Key).ToArray()), ("times", lastActive.Select(a => a.Value.ToUnixTimeMilliseconds()).ToArray()));
    }
}
