using Hive.Core.Llm;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    public void InsertLlmBodies(string sandbox, long requestId, LlmBodies bodies)
    {
        using var c = _db.OpenConnection();
        Run(c, null, """
            INSERT INTO llm_bodies(request_id, sandbox, request, request_type, request_bytes, request_truncated,
              response, response_type, response_bytes, response_truncated) VALUES (@id, @s, @q, @qt, @qb, @qx, @r, @rt, @rb, @rx)
            ON CONFLICT (request_id) DO UPDATE SET sandbox = EXCLUDED.sandbox, request = EXCLUDED.request, request_type = EXCLUDED.request_type,
              request_bytes = EXCLUDED.request_bytes, request_truncated = EXCLUDED.request_truncated, response = EXCLUDED.response,
              response_type = EXCLUDED.response_type, response_bytes = EXCLUDED.response_bytes, response_truncated = EXCLUDED.response_truncated
            """, ("id", requestId), ("s", sandbox),
            ("q", bodies.Request.Text), ("qt", bodies.Request.ContentType), ("qb", bodies.Request.Bytes), ("qx", bodies.Request.Truncated),
            ("r", bodies.Response.Text), ("rt", bodies.Response.ContentType), ("rb", bodies.Response.Bytes), ("rx", bodies.Response.Truncated));
    }

    public LlmBodies? FindLlmBodies(string sandbox, long requestId)
    {
        using var c = _db.OpenConnection();
        using var cmd = Command(c, null, """
            SELECT request, request_type, request_bytes, request_truncated, response, response_type, response_bytes, response_truncated
            FROM llm_bodies WHERE request_id = @id AND sandbox = @s
            """, ("id", requestId), ("s", sandbox));
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        LlmBody Body(int at) => new(r.GetString(at), r.IsDBNull(at + 1) ? null : r.GetString(at + 1), r.GetInt64(at + 2), r.GetBoolean(at + 3));
        return new LlmBodies(Body(0), Body(4));
    }
}
