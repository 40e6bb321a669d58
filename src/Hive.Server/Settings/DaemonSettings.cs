using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hive.Core;
using Hive.Daemon.Settings;
using Hive.Daemon.Store;
using Hive.Host.Settings;

namespace Hive.Server.Settings;

/// <summary>Upstream dialling settings of the egress proxy (docs/configuration.md).</summary>
public sealed record UpstreamSettings(IReadOnlyDictionary<string, string> Hosts, IReadOnlyList<string> AllowPrivate, string? CaBundle);

/// <summary>The daemon's settings: <c>$HIVE_HOME/daemon.json</c> overridden by <c>HIVE_HOME</c> / <c>HIVE_LISTEN</c>.</summary>
public sealed record DaemonSettings(string Home, IPEndPoint Listen, string Subnet, UpstreamSettings Upstream)
{
    /// <summary>How much of the event log is kept (daemon.json <c>events</c>).</summary>
    public EventRetentionSettings Events { get; init; } = EventRetentionSettings.Default;

    /// <summary>Where the state is kept (daemon.json <c>database</c>, or <c>HIVE_DATABASE</c>): SQLite in <see cref="DatabasePath"/> unless a PostgreSQL URL.</summary>
    public DatabaseUrl Database { get; init; } = DatabaseUrl.Sqlite;

    /// <summary>How often each running sandbox's cgroup is sampled, and how many samples are kept (daemon.json <c>usage</c>).</summary>
    public UsageSettings Usage { get; init; } = UsageSettings.Default;

    /// <summary>How the FUSE mounts are served (daemon.json <c>files</c>).</summary>
    public FilesSettings Files { get; init; } = FilesSettings.Default;

    /// <summary>What this process runs (<c>--role</c>, <c>HIVE_ROLE</c> or daemon.json <c>role</c>).</summary>
    public DaemonRole Role { get; init; } = DaemonRole.All;

    /// <summary>Cluster mode (daemon.json <c>cluster</c>), checked for what <see cref="Role"/> needs.</summary>
    public ClusterSettings Cluster { get; init; } = ClusterSettings.Default;

    /// <summary>
    /// The API's base URL as clients outside see it (daemon.json <c>publicUrl</c>, or <c>HIVE_PUBLIC_URL</c>), e.g. behind
    /// an ingress; null: <c>http://</c> and <see cref="Listen"/>. Every <c>sandbox.url</c> starts with it.
    /// </summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>What <c>sandbox.url</c> is built on: <see cref="PublicUrl"/> without its trailing slash, else the listen address.</summary>
    public string PublicBaseUrl => PublicUrl is { } u ? u.AbsoluteUri.TrimEnd('/') : $"http://{Listen}";

    public const string DefaultSubnet = "10.201.0.0/16";

    /// <summary>Six hex digits derived from the home directory; names this daemon's host objects (nft table, veths, namespaces).</summary>
    public string Tag { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Home)))[..6];

    public string TokenPath => Path.Combine(Home, "token");
    public string DatabasePath => Path.Combine(Home, "hive.db");

    /// <param name="roleFlag"><c>hive daemon --role</c>: wins over HIVE_ROLE, which wins over the file.</param>
    public static DaemonSettings Load(string? roleFlag = null, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var home = HiveHome.Resolve();
        var file = Path.Combine(home, "daemon.json");
        var parsed = new FileSettings(HiveHome.DefaultListen, DefaultSubnet, new UpstreamSettings(new Dictionary<string, string>(), [], null),
            EventRetentionSettings.Default, DatabaseUrl.Sqlite, UsageSettings.Default, FilesSettings.Default);
        if (File.Exists(file))
        {
            try
            {
                parsed = Parse(File.ReadAllText(file), parsed.Listen, parsed.Subnet);
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new FormatException($"{file}: {e.Message}");
            }
        }
        var listen = env("HIVE_LISTEN") is { Length: > 0 } l ? l : parsed.Listen;
        var database = env("HIVE_DATABASE") is { Length: > 0 } db ? DatabaseUrl.Parse(db, "HIVE_DATABASE") : parsed.Database;
        var publicUrl = env("HIVE_PUBLIC_URL") is { Length: > 0 } pu ? ParsePublicUrl(pu, "HIVE_PUBLIC_URL") : parsed.PublicUrl;
        var role = ResolveRole(roleFlag, env("HIVE_ROLE"), parsed.Role);
        var cluster = parsed.Cluster.WithEnvironment(env).Validate(role, home);
        return new DaemonSettings(home, ParseEndpoint(listen), parsed.Subnet, parsed.Upstream)
        {
            Events = parsed.Events, Database = database, Usage = parsed.Usage, Files = parsed.Files, Role = role, Cluster = cluster, PublicUrl = publicUrl,
        };
    }

    /// <summary>The flag over HIVE_ROLE over daemon.json's <c>role</c>; each checked where it comes from.</summary>
    internal static DaemonRole ResolveRole(string? flag, string? env, DaemonRole file)
    {
        if (flag is not null)
            return DaemonRoles.TryParse(flag, out var r) ? r : throw new FormatException($"--role: must be {DaemonRoles.Allowed}, got \"{flag}\"");
        if (env is { Length: > 0 })
            return DaemonRoles.TryParse(env, out var r) ? r : throw new FormatException($"HIVE_ROLE: must be {DaemonRoles.Allowed}, got \"{env}\"");
        return file;
    }

    /// <summary>What daemon.json says, each setting with its default when the file does not name it.</summary>
    internal sealed record FileSettings(string Listen, string Subnet, UpstreamSettings Upstream, EventRetentionSettings Events, DatabaseUrl Database, UsageSettings Usage,
        FilesSettings Files)
    {
        public DaemonRole Role { get; init; } = DaemonRole.All;
        public ClusterSettings Cluster { get; init; } = ClusterSettings.Default;
        public Uri? PublicUrl { get; init; }
    }

    internal static FileSettings Parse(string json, string listen, string subnet)
    {
        var events = EventRetentionSettings.Default;
        var database = DatabaseUrl.Sqlite;
        var usage = UsageSettings.Default;
        var files = FilesSettings.Default;
        var role = DaemonRole.All;
        var cluster = ClusterSettings.Default;
        Uri? publicUrl = null;
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var hosts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var allow = new List<string>();
        string? ca = null;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            switch (p.Name)
            {
                case "listen": listen = p.Value.GetString() ?? listen; break;
                case "subnet": subnet = p.Value.GetString() ?? subnet; break;
                case "upstream":
                    foreach (var u in p.Value.EnumerateObject())
                    {
                        switch (u.Name)
                        {
                            case "hosts":
                                foreach (var h in u.Value.EnumerateObject()) hosts[h.Name.TrimEnd('.')] = h.Value.GetString() ?? "";
                                break;
                            case "allowPrivate":
                                foreach (var r in u.Value.EnumerateArray()) allow.Add(r.GetString() ?? "");
                                break;
                            case "caBundle": ca = u.Value.GetString(); break;
                            default: throw new FormatException($"upstream.{u.Name}: unknown setting (allowed: hosts, allowPrivate, caBundle)");
                        }
                    }
                    break;
                case "events": events = ParseEvents(p.Value); break;
                case "database":
                    if (p.Value.ValueKind != JsonValueKind.String) throw new FormatException("database: must be a string, \"sqlite\" or postgres://USER:PASSWORD@HOST:PORT/DATABASE");
                    database = DatabaseUrl.Parse(p.Value.GetString()!);
                    break;
                case "usage": usage = ParseUsage(p.Value); break;
                case "files": files = FilesSettings.Parse(p.Value); break;
                case "role":
                    if (p.Value.ValueKind != JsonValueKind.String || !DaemonRoles.TryParse(p.Value.GetString(), out role))
                        throw new FormatException($"role: must be {DaemonRoles.Allowed}");
                    break;
                case "cluster": cluster = ClusterSettings.Parse(p.Value); break;
                case "publicUrl":
                    if (p.Value.ValueKind != JsonValueKind.String) throw new FormatException("publicUrl: must be a string, an http or https URL such as https://hive.example.com");
                    publicUrl = ParsePublicUrl(p.Value.GetString()!, "publicUrl");
                    break;
                default: throw new FormatException($"{p.Name}: unknown setting (allowed: listen, subnet, upstream, events, database, usage, files, role, cluster, publicUrl)");
            }
        }
        return new FileSettings(listen, subnet, new UpstreamSettings(hosts, allow, ca), events, database, usage, files) { Role = role, Cluster = cluster, PublicUrl = publicUrl };
    }

    private static UsageSettings ParseUsage(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new FormatException("usage: must be an object such as { \"intervalSeconds\": 5, \"samples\": 720 }");
        var interval = UsageSettings.DefaultIntervalSeconds;
        var samples = UsageSettings.DefaultSamples;
        foreach (var e in value.EnumerateObject())
        {
            switch (e.Name)
            {
                case "intervalSeconds":
                    if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetDouble(out interval)
                        || interval < UsageSettings.MinIntervalSeconds || interval > UsageSettings.MaxIntervalSeconds)
                        throw new FormatException($"usage.intervalSeconds: must be a number of seconds from {UsageSettings.MinIntervalSeconds} to {UsageSettings.MaxIntervalSeconds}");
                    break;
                case "samples":
                    if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetInt32(out samples) || samples < 2 || samples > UsageSettings.MaxSamples)
                        throw new FormatException($"usage.samples: must be a whole number from 2 to {UsageSettings.MaxSamples}");
                    break;
                default: throw new FormatException($"usage.{e.Name}: unknown setting (allowed: intervalSeconds, samples)");
            }
        }
        return new UsageSettings(interval, samples);
    }

    private static EventRetentionSettings ParseEvents(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new FormatException("events: must be an object such as { \"retentionDays\": 30, \"maxSizeMb\": 2048 }");
        var days = EventRetentionSettings.DefaultRetentionDays;
        var size = EventRetentionSettings.DefaultMaxSizeMb;
        foreach (var e in value.EnumerateObject())
        {
            switch (e.Name)
            {
                case "retentionDays":
                    if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetDouble(out days) || days < 0 || days > 36500)
                        throw new FormatException("events.retentionDays: must be a number of days from 0 (keep forever) to 36500");
                    break;
                case "maxSizeMb":
                    if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetInt64(out size) || size < 0 || (size > 0 && size < EventRetentionSettings.MinSizeMb))
                        throw new FormatException($"events.maxSizeMb: must be a whole number of MiB, 0 (no limit) or at least {EventRetentionSettings.MinSizeMb}");
                    break;
                default: throw new FormatException($"events.{e.Name}: unknown setting (allowed: retentionDays, maxSizeMb)");
            }
        }
        return new EventRetentionSettings(days, size);
    }

    /// <summary>
    /// An absolute http or https URL, optionally with a path (a prefix the ingress strips), without a user name or
    /// password (it is shown in every sandbox's url), a query or a fragment.
    /// </summary>
    internal static Uri ParsePublicUrl(string value, string field)
    {
        const string Allowed = "an absolute http or https URL, optionally with a path, such as https://hive.example.com or https://example.com/hive";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
            throw new FormatException($"{field}: must be {Allowed}{(value.Contains('@') ? "" : $", got \"{value}\"")}");
        if (url.UserInfo.Length > 0) throw new FormatException($"{field}: must not hold a user name or password (it is shown in every sandbox's url): {Allowed}");
        if (url.Query.Length > 0 || value.Contains('?')) throw new FormatException($"{field}: must not have a query (\"?…\"): {Allowed}");
        if (url.Fragment.Length > 0 || value.Contains('#')) throw new FormatException($"{field}: must not have a fragment (\"#…\"): {Allowed}");
        return url;
    }

    public static IPEndPoint ParseEndpoint(string listen)
    {
        if (IPEndPoint.TryParse(listen, out var ep) && ep.Port != 0) return ep;
        throw new FormatException($"listen: must be ADDRESS:PORT such as 127.0.0.1:9000, got \"{listen}\"");
    }
}
