using Npgsql;
using NpgsqlTypes;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    private const string Columns = "id, ts, sandbox, type, data";


    public long LastEventId()
    {
        using var c = _db.OpenConnection();
        return (long)Scalar(c, null, "SELECT COALESCE(MAX(id), 0) FROM events")!;
    }

    public long FirstEventId()
    {
        using var c = _db.OpenConnection();
        return (long)Scalar(c, null, "SELECT COALESCE(MIN(id), 0) FROM events")!;
    }

    // The same queries as SQLite's (EventPageSql), along the same indexes: a type-filtered page is a Merge Append of one
    // limited index scan per type, stopped at the limit.
    public IReadOnlyList<StoredEvent> ReadEvents(string? sandbox, long after, int limit, IReadOnlyCollection<string>? types = null)
    {
        if (types is { Count: 0 }) return [];
        using var c = _db.OpenConnection();
        return Query(c, sandbox, types, after, limit, before: false);
    }

    public IReadOnlyList<StoredEvent> ReadEventsBefore(string? sandbox, long before, int limit, IReadOnlyCollection<string>? types = null)
    {
        if (types is { Count: 0 }) return [];
        using var c = _db.OpenConnection();
        var page = Query(c, sandbox, types, before, limit, before: true);
        page.Reverse();
        return page;
    }

    private static List<StoredEvent> Query(NpgsqlConnection c, string? sandbox, IReadOnlyCollection<string>? types, long bound, int limit, bool before)
    {
        using var cmd = new NpgsqlCommand(EventPageSql.Page('@', sandbox is not null, types?.Count ?? 0, before, orderEachArm: true), c);
        cmd.Parameters.AddWithValue("a", bound);
        cmd.Parameters.AddWithValue("l", limit);
        if (sandbox is not null) cmd.Parameters.AddWithValue("s", sandbox);
        var i = 0;
        foreach (var type in types ?? []) cmd.Parameters.AddWithValue(EventPageSql.TypeParameter(i++), type);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredEvent>(Math.Min(limit, 1000));
        while (r.Read())
            list.Add(new StoredEvent(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.GetString(3), r.GetString(4)));
        return list;
    }
}
