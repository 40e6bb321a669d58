using Hive.Daemon.Store;
using Microsoft.Data.Sqlite;

namespace Hive.Daemon.Tests.Store;

public sealed class SqliteStoreContractTests : StoreContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-store-tests-").FullName;
    private string DbPath => Path.Combine(_dir, "hive.db");

    protected override IHiveStore OpenStore() => new SqliteStore(DbPath);

    protected override void MarkNewerSchema(int version)
    {
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"INSERT INTO schema_migrations(version, applied_at) VALUES ({version}, 'now')";
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void A_database_from_before_schema_versions_is_adopted_with_its_rows()
    {
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE sandboxes (name TEXT PRIMARY KEY, config TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, slot INTEGER NOT NULL UNIQUE, error TEXT);
                CREATE TABLE events (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, sandbox TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
                INSERT INTO events VALUES (41, '2026-12-01T00:00:00.0000000+00:00', 'old', 'exec.request', '{}');
                INSERT INTO sandboxes VALUES ('old', '{"image":"hive/minimal"}', 'stopped', '2026-12-01T00:00:00.0000000+00:00', 7, NULL);
                """;
            cmd.ExecuteNonQuery();
        }
        var s = Open();
        Assert.Equal(SqliteStore.Migrations.Length, s.SchemaVersion);
        Assert.Equal(41, s.LastEventId());
        var old = Assert.Single(s.ListSandboxes());
        Assert.Equal(("old", 7, null), (old.Name, old.Slot, old.Host)); // the host's slot table is seeded from it once
        s.UpsertSecret(new("", "k", false, null, null, null, [1], T0, null));
        Assert.Single(s.ListSecrets());
    }

    public override void Dispose()
    {
        base.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
