using System.Text;

namespace Hive.Daemon.Store;

/// <summary>
/// The event log's page queries, built the same way for every store (<paramref name="p"/> is its parameter prefix).
/// A type-filtered page is one indexed search per type, joined by UNION ALL under the page's own ORDER BY and LIMIT:
/// SQLite runs the arms as co-routines and merges them (MERGE (UNION ALL)), PostgreSQL as a Merge Append. Each arm walks
/// its (type, id) or (sandbox, type, id) index in page order and the merge stops at the limit, so a page reads about
/// <c>limit</c> rows however many types it names, instead of <c>limit</c> rows per type and a sort.
/// PostgreSQL (15) plans the Merge Append only when each arm is ordered and limited itself (plain arms get an Append of
/// bitmap scans and a sort of every matching row); SQLite merges plain arms, and would sort arms ordered inside a subquery.
/// </summary>
/// <remarks>Parameters: <c>a</c> the exclusive id bound, <c>l</c> the limit, <c>s</c> the sandbox, <c>t0</c>… the types.</remarks>
internal static class EventPageSql
{
    private const string Select = "SELECT id, ts, sandbox, type, data FROM events";

    /// <param name="p">The parameter prefix: <c>$</c> for SQLite, <c>@</c> for PostgreSQL.</param>
    /// <param name="typeCount">0 for every type, otherwise the number of types (one arm each).</param>
    /// <param name="before">Page backwards (ids below the bound, newest first) instead of forwards.</param>
    /// <param name="orderEachArm">Give each arm its own ORDER BY and LIMIT (PostgreSQL).</param>
    public static string Page(char p, bool bySandbox, int typeCount, bool before, bool orderEachArm = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(typeCount);
        var order = $" ORDER BY id{(before ? " DESC" : "")} LIMIT {p}l";
        var wrap = orderEachArm && typeCount > 1;
        var sql = new StringBuilder();
        for (var i = 0; i < Math.Max(typeCount, 1); i++)
        {
            if (i > 0) sql.Append(" UNION ALL ");
            if (wrap) sql.Append("SELECT * FROM (");
            sql.Append(Select).Append(" WHERE ");
            if (bySandbox) sql.Append("sandbox = ").Append(p).Append("s AND ");
            if (typeCount > 0) sql.Append("type = ").Append(p).Append('t').Append(i).Append(" AND ");
            sql.Append("id ").Append(before ? '<' : '>').Append(' ').Append(p).Append('a');
            if (wrap) sql.Append(order).Append(") AS t").Append(i);
        }
        return sql.Append(order).ToString();
    }

    /// <summary>The name of the parameter that holds the <paramref name="i"/>th type (without its prefix).</summary>
    public static string TypeParameter(int i) => $"t{i}";
}
