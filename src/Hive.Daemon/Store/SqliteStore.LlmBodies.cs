using Hive.Core.Llm;
using Microsoft.Data.Sqlite;

namespace Hive.Daemon.Store;

public sealed partial class SqliteStore
{
    // Apart from the events: the log's rows stay small, and a body is read only when a call is opened. Keyed by the
    // llm.call's requestId (its egress.request's id), so that pruning the log up to an id takes the bodies along.
    private const string LlmBodyTable = """
        CREATE TABLE llm_bodies (
          request_id INTEGER PRIMARY KEY, sandbox TEXT NOT NULL,
          request TEXT NOT NULL, request_type TEXT, request_bytes INTEGER NOT NULL, request_truncated INTEGER NOT NULL,
          response TEXT NOT NULL, response_type TEXT, response_bytes INTEGER NOT NULL, response_truncated INTEGER NOT NULL);
        """;

    public void InsertLlmBodies(string sandbox, long requestId, LlmBodies bodies)
    {
        lock (_writeLock) InsertLlmBodies(sandbox, requestId, bodies, null);
    }

    /// <summary>The insert itself, in <paramref name="tx"/> when a host's events bring bodies along (the caller holds the write lock).</summary>
    private void InsertLlmBodies(string sandbox, long requestId, LlmBodies bodies, SqliteTransaction? tx)
    {
        using var cmd = Command("""
            INSERT OR REPLACE INTO llm_bodies(request_id, sandbox, request, request_type, request_bytes, request_truncated,
              response, response_type, response_bytes, response_truncated) VALUES ($id, $s, $q, $qt, $qb, $qx, $r, $rt, $rb, $rx)
            """, tx, ("$id", requestId), ("$s", sandbox),
            ("$q", bodies.Request.Text), ("$qt", bodies.Request.ContentType), ("$qb", bodies.Request.Bytes), ("$qx", bodies.Request.Truncated ? 1 : 0),
            ("$r", bodies.Response.Text), ("$rt", bodies.Response.ContentType), ("$rb", bodies.Response.Bytes), ("$rx", bodies.Response.Truncated ? 1 : 0));
        cmd.ExecuteNonQuery();
    }

    public LlmBodies? FindLlmBodies(string sandbox, long requestId)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT request, request_type, request_bytes, request_truncated, response, response_type, response_bytes, response_truncated
            FROM llm_bodies WHERE request_id = $id AND sandbox = $s
            """;
        cmd.Parameters.AddWithValue("$id", requestId);
        cmd.Parameters.AddWithValue("$s", sandbox);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        LlmBody Body(int at) => new(r.GetString(at), r.IsDBNull(at + 1) ? null : r.GetString(at + 1), r.GetInt64(at + 2), r.GetInt64(at + 3) != 0);
        return new LlmBodies(Body(0), Body(4));
    }
}
