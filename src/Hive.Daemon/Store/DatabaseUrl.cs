using Npgsql;

namespace Hive.Daemon.Store;

/// <summary>
/// The daemon's <c>database</c> setting: <c>sqlite</c> (the default, <c>$HIVE_HOME/hive.db</c>) or a PostgreSQL URL,
/// <c>postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require</c>. <see cref="Redacted"/> is the form that may be
/// logged or shown: the password never leaves this type otherwise.
/// </summary>
public sealed class DatabaseUrl
{
    private static readonly string[] QueryParameters = ["sslmode", "host", "application_name", "connect_timeout", "command_timeout", "pool_max", "search_path"];

    private DatabaseUrl(string? postgres, string redacted)
    {
        PostgresConnectionString = postgres;
        Redacted = redacted;
    }

    public static DatabaseUrl Sqlite { get; } = new(null, "sqlite");

    public bool IsPostgres => PostgresConnectionString is not null;

    /// <summary>The Npgsql connection string (with the password): for the store only.</summary>
    internal string? PostgresConnectionString { get; }

    public string Redacted { get; }

    public override string ToString() => Redacted;

    /// <summary>Parses the setting; the error names <paramref name="field"/> and what is allowed, and never repeats a password.</summary>
    public static DatabaseUrl Parse(string value, string field = "database")
    {
        if (value is "" or "sqlite") return Sqlite;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
            throw new FormatException($"{field}: must be \"sqlite\" or a URL postgres://USER:PASSWORD@HOST:PORT/DATABASE, got {Describe(value)}");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Length > 0 ? uri.Host : "localhost",
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (string.IsNullOrEmpty(b.Database)) throw new FormatException($"{field}: name the database after the host, as in postgres://hive@db:5432/hive");
        var user = "";
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            b.Username = user;
            if (colon >= 0) b.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        foreach (var (key, v) in QueryOf(uri, field))
        {
            try
            {
                switch (key)
                {
                    case "sslmode": b.SslMode = Enum.Parse<SslMode>(v, ignoreCase: true); break;
                    case "host": b.Host = v; break;
                    case "application_name": b.ApplicationName = v; break;
                    case "connect_timeout": b.Timeout = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "command_timeout": b.CommandTimeout = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "pool_max": b.MaxPoolSize = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "search_path": b.SearchPath = v; break;
                }
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new FormatException($"{field}: ?{key}={v} is not a valid value ({(key == "sslmode" ? "disable, allow, prefer, require, verify-ca or verify-full" : "a whole number")})");
            }
        }
        b.ApplicationName ??= "hive";
        var redacted = $"postgres://{(user.Length > 0 ? Uri.EscapeDataString(user) + (b.Password is null ? "" : ":***") + "@" : "")}{b.Host}:{b.Port}/{b.Database}";
        return new DatabaseUrl(b.ConnectionString, redacted);
    }

    private static IEnumerable<(string Key, string Value)> QueryOf(Uri uri, string field)
    {
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            if (!QueryParameters.Contains(key))
                throw new FormatException($"{field}: unknown parameter ?{key} (allowed: {string.Join(", ", QueryParameters)})");
            yield return (key, Uri.UnescapeDataString(eq < 0 ? "" : pair[(eq + 1)..]));
        }
    }

    /// <summary>A bad value shown without anything that could be a password (what sits between "://" and "@").</summary>
    private static string Describe(string value)
    {
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        var at = value.LastIndexOf('@');
        if (scheme >= 0 && at > scheme) value = value[..(scheme + 3)] + "***" + value[at..];
        return $"\"{value}\"";
    }
}
