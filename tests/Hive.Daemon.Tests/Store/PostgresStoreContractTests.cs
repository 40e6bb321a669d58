using Hive.Core.Events;
using Hive.Daemon.Store;
using Hive.Tests.Postgres;
using Npgsql;

namespace Hive.Daemon.Tests.Store;

/// <summary>One PostgreSQL server for every test class that needs one.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "postgres";
}

public sealed class PostgresServerFixture : IDisposable
{
    public PostgresServer Server { get; } = PostgresServer.Start();
    public void Dispose() => Server.Dispose();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreContractTests(PostgresServerFixture pg) : StoreContract
{
    private readonly string _url = pg.Server.Url(pg.Server.CreateDatabase());

    protected override IHiveStore OpenStore() => new PostgresStore(DatabaseUrl.Parse(_url));

    protected override void MarkNewerSchema(int version)
    {
        using var c = new NpgsqlConnection(DatabaseUrl.Parse(_url).PostgresConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand($"INSERT INTO schema_migrations(version) VALUES ({version})", c);
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void A_wrong_password_is_refused_with_an_error_that_names_the_setting_and_not_the_password()
    {
        var wrong = _url.Replace(Uri.EscapeDataString(pg.Server.Password), "not-the-password");
        var e = Assert.Throws<InvalidOperationException>(() => new PostgresStore(DatabaseUrl.Parse(wrong)));
        Assert.StartsWith("database: postgres://hive:***@127.0.0.1:", e.Message);
        Assert.Contains("password authentication failed", e.Message);
        Assert.DoesNotContain("not-the-password", e.Message);
    }

    [Fact]
    public void An_unreachable_server_is_reported_without_hanging()
    {
        var closed = DatabaseUrl.Parse($"postgres://hive:pw@127.0.0.1:1/db?connect_timeout=5");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<InvalidOperationException>(() => new PostgresStore(closed));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20));
        Assert.StartsWith("database: postgres://hive:***@127.0.0.1:1/db: ", e.Message);
    }

    [Fact]
    public void Controllers_opening_one_new_database_at_once_migrate_it_once()
    {
        var stores = Enumerable.Range(0, 6).AsParallel().Select(_ => Open()).ToList();
        Assert.All(stores, s => Assert.Equal(PostgresStore.Migrations.Length, s.SchemaVersion));
        using var c = new NpgsqlConnection(DatabaseUrl.Parse(_url).PostgresConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand("SELECT count(*) FROM schema_migrations", c);
        Assert.Equal((long)PostgresStore.Migrations.Length, cmd.ExecuteScalar());
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void A_page_of_several_types_is_a_merge_of_one_index_scan_per_type_without_a_sort(bool bySandbox, bool before)
    {
        var s = Open();
        string[] types = [EventTypes.ExecRequest, EventTypes.ExecResponse, EventTypes.EgressRequest, EventTypes.DnsQuery];
        // Many more events of each type than a page holds (as in a large log), the other types commoner still.
        s.InsertEvents([.. Enumerable.Range(1, 20_000).Select(i => new StoredEvent(i, DateTimeOffset.UnixEpoch, $"sb-{i % 7}", types[i % 10 < 2 ? i % 2 : 2 + i % 2], "{}"))]);
        using var c = new NpgsqlConnection(DatabaseUrl.Parse(_url).PostgresConnectionString);
        c.Open();
        using (var analyze = new NpgsqlCommand("ANALYZE events", c)) analyze.ExecuteNonQuery();
        using var cmd = new NpgsqlCommand("EXPLAIN " + EventPageSql.Page('@', bySandbox, 2, before, orderEachArm: true), c);
        cmd.Parameters.AddWithValue("a", before ? 19_000L : 1000L);
        cmd.Parameters.AddWithValue("l", 10);
        cmd.Parameters.AddWithValue("s", "sb-3");
        cmd.Parameters.AddWithValue("t0", EventTypes.ExecRequest);
        cmd.Parameters.AddWithValue("t1", EventTypes.ExecResponse);
        var plan = new List<string>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) plan.Add(r.GetString(0));
        var text = string.Join("\n", plan);
        Assert.True(text.Contains("Merge Append", StringComparison.Ordinal), text);
        Assert.Equal(2, plan.Count(l => l.Contains("Index", StringComparison.Ordinal) && l.Contains(bySandbox ? "events_sandbox_type" : "events_type", StringComparison.Ordinal)));
        Assert.DoesNotContain("Seq Scan", text);
        Assert.DoesNotContain("Sort  ", text);
    }
}
