using Hive.Core.Events;
using Hive.Daemon.Store;
using Microsoft.Data.Sqlite;

namespace Hive.Daemon.Tests;

/// <summary>What SQLite says it will do for one of the store's event queries (EXPLAIN QUERY PLAN), its steps joined by " | ".</summary>
internal static class QueryPlan
{
    public static string Of(string databasePath, string sql, long bound)
    {
        using var db = new SqliteConnection($"Data Source={databasePath}");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + sql;
        cmd.Parameters.AddWithValue("$a", bound);
        cmd.Parameters.AddWithValue("$l", 100);
        cmd.Parameters.AddWithValue("$s", "box");
        string[] types = [EventTypes.EgressRequest, EventTypes.EgressResponse, EventTypes.DnsQuery, EventTypes.FsRequest];
        for (var i = 0; i < types.Length; i++)
            if (sql.Contains("$" + EventPageSql.TypeParameter(i), StringComparison.Ordinal)) cmd.Parameters.AddWithValue("$" + EventPageSql.TypeParameter(i), types[i]);
        using var r = cmd.ExecuteReader();
        var plan = new List<string>();
        while (r.Read()) plan.Add(r.GetString(3));
        return string.Join(" | ", plan);
    }
}
