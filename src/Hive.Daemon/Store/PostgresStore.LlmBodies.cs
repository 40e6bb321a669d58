using Hive.Core.Llm;
using Npgsql;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    private const string UpsertLlmBodies = """
        INSERT INTO llm_bodies(request_id, sandbox, request, request_type, request_bytes, request_truncated,
          response, response_type, response_bytes, response_truncated) VALUES (@id, @s, @q, @qt, @qb, @qx, @r, @rt, @rb, @rx)
        ON CONFLICT (request_id) DO UPDATE SET sandbox = EXCLUDED.sandbox, request = EXCLUDED.request, request_type = EXCLUDED.request_type,
          request_bytes = EXCLUDED.request_bytes, request_truncated = EXCLUDED.request_truncated, response = EXCLUDED.response,
          response_type = EXCLUDED.response_type, response_bytes = EXCLUDED.response_bytes, response_truncated = EXCLUDED.response_truncated
        """;

    public void InsertLlmBodies(string sandbox, long requestId, LlmBodies bodies)
    {
        using var c = _db.OpenConnection();
        using var cmd = new NpgsqlCommand(UpsertLlmBodies, c);
        foreach (var p in LlmBodyParameters(sandbox, requestId, bodies)) cmd.Parameters.Add(p);
        cmd.ExecuteNonQuery();
    }

    private static IEnumerable<NpgsqlParameter> LlmBodyParameters(string sandbox, long requestId, LlmBodies bodies) =>
    [
        new("id", requestId), new("s", sandbox),
        new("q", bodies.Request.Text), new("qt", (object?)bodies.Request.ContentType ?? DBNull.Value) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
        new("qb", bodies.Request.Bytes), new("qx", bodies.Request.Truncated),
        new("r", bodies.Response.Text), new("rt", (object?)bodies.Response.ContentType ?? DBNull.Value) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
        new("rb", bodies.Response.Bytes), new("rx", bodies.Response.Truncated),
    ];

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
