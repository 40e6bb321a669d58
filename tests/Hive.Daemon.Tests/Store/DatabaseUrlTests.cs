using Hive.Daemon.Settings;
using Hive.Host.Settings;
using Hive.Server.Settings;
using Hive.Daemon.Store;
using Npgsql;

namespace Hive.Daemon.Tests.Store;

public sealed class DatabaseUrlTests
{
    [Theory]
    [InlineData("")]
    [InlineData("sqlite")]
    public void The_default_is_sqlite(string value) => Assert.False(DatabaseUrl.Parse(value).IsPostgres);

    [Fact]
    public void A_postgres_url_becomes_a_connection_and_is_shown_without_its_password()
    {
        var url = DatabaseUrl.Parse("postgresql://hive:s%3Acret%40x@db.internal:6432/hive_state?sslmode=require&pool_max=40");
        var b = new NpgsqlConnectionStringBuilder(url.PostgresConnectionString);
        Assert.Equal(("db.internal", 6432, "hive_state", "hive", "s:cret@x", SslMode.Require, 40),
            (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode, b.MaxPoolSize));
        Assert.Equal("postgres://hive:***@db.internal:6432/hive_state", url.Redacted);
        Assert.Equal(url.Redacted, url.ToString());
        Assert.Equal(5432, new NpgsqlConnectionStringBuilder(DatabaseUrl.Parse("postgres://h/d").PostgresConnectionString).Port);
    }

    [Theory]
    [InlineData("mysql://root:hunter2@db/x", "database: must be \"sqlite\" or a URL postgres://USER:PASSWORD@HOST:PORT/DATABASE, got \"mysql://***@db/x\"")]
    [InlineData("postgres://root:hunter2@db", "database: name the database after the host")]
    [InlineData("postgres://root:hunter2@db/x?password=y", "database: unknown parameter ?password (allowed: sslmode, host,")]
    [InlineData("postgres://root:hunter2@db/x?sslmode=sometimes", "database: ?sslmode=sometimes is not a valid value (disable, allow, prefer, require, verify-ca or verify-full)")]
    [InlineData("/var/lib/hive.db", "database: must be \"sqlite\" or a URL")]
    public void A_bad_setting_is_refused_naming_the_field_and_never_repeating_the_password(string value, string expected)
    {
        var e = Assert.Throws<FormatException>(() => DatabaseUrl.Parse(value));
        Assert.StartsWith(expected, e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Fact]
    public void The_daemon_settings_take_database_and_refuse_a_non_string()
    {
        Assert.True(DaemonSettings.Parse("""{ "database": "postgres://u:p@h/d" }""", "127.0.0.1:9000", "10.201.0.0/16").Database.IsPostgres);
        var e = Assert.Throws<FormatException>(() => DaemonSettings.Parse("""{ "database": 5 }""", "127.0.0.1:9000", "10.201.0.0/16"));
        Assert.StartsWith("database: must be a string", e.Message);
    }
}
