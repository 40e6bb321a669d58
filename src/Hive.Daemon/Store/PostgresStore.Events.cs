using Npgsql;
using NpgsqlTypes;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    private const string Columns = "id, ts, sandbox, type, data";

    // The same queries as SQLite's, along the same indexes; @a is the exclusive bound of each direction.
    private const string EventsAfter = $"SELECT {Columns} FROM events WHERE id > @a ORDER BY id LIMIT @l";
    private const string SandboxEventsAfter = $"SELECT {Columns} FROM events WHERE sandbox = @s AND id > @a ORDER BY id LIMIT @l";
    private const string TypeEventsAfter = $"SELECT {Columns} FROM events WHERE type = @t AND id > @a ORDER BY id LIMIT @l";
    private const string SandboxTypeEventsAfter = $"SELECT {Columns} FROM events WHERE sandbox = @s AND type = @t AND id > @a ORDER BY id LIMIT @l";
    private const string EventsBefore = $"SELECT {Columns} FROM events WHERE id < @a ORDER BY id DESC LIMIT @l";
    private const string SandboxEventsBefore = $"SELECT {Columns} FROM events WHERE sandbox = @s AND id < @a ORDER BY id DESC LIMIT @l";
    private const string TypeEventsBefore = $"SELECT {Columns} FROM events WHERE type = @t AND id < @a ORDER BY id DESC LIMIT @l";
    private const string SandboxTypeEventsBefore = $"SELECT {Columns} FROM events WHERE sandbox = @s AND type = @t AND id < @a ORDER BY id DESC LIMIT @l";

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

    public IReadOnlyList<StoredEvent> ReadEvents(string? sandbox, long after, int limit, IReadOnlyCollection<string>? types = null)
    {
        using var c = _db.OpenConnection();
        if (types is null) return Query(c, sandbox is null ? EventsAfter : SandboxEventsAfter, sandbox, null, after, limit);
        return EventPageMerge.After(types.Select(type => Query(c, sandbox is null ? TypeEventsAfter : SandboxTypeEventsAfter, sandbox, type, after, limit)),
            types.Count, limit);
    }

    public IReadOnlyList<StoredEvent> ReadEventsBefore(string? sandbox, long before, int limit, IReadOnlyCollection<string>? types = null)
    {
        using var c = _db.OpenConnection();
        if (types is not null)
            return EventPageMerge.Before(types.Select(type => Query(c, sandbox is null ? TypeEventsBefore : SandboxTypeEventsBefore, sandbox, type, before, limit)), limit);
        var page = Query(c, sandbox is null ? EventsBefore : SandboxEventsBefore, sandbox, null, before, limit);
        page.Reverse();
        return page;
    }

    private static List<StoredEvent> Query(NpgsqlConnection c, string sql, string? sandbox, string? type, long bound, int limit)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("a", bound);
        cmd.Parameters.AddWithValue("l", limit);
        if (sandbox is not null) cmd.Parameters.AddWithValue("s", sandbox);
        if (type is not null) cmd.Parameters.AddWithValue("t", type);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredEvent>();
        while (r.Read())
            list.Add(new StoredEvent(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.GetString(3), r.GetString(4)));
        return list;
    }
}
