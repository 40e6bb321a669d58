using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hive.Core;

namespace Hive.Daemon.Settings;

/// <summary>Upstream dialling settings of the egress proxy (docs/configuration.md).</summary>
public sealed record UpstreamSettings(IReadOnlyDictionary<string, string> Hosts, IReadOnlyList<string> AllowPrivate, string? CaBundle);

/// <summary>The daemon's settings: <c>$HIVE_HOME/daemon.json</c> overridden by <c>HIVE_HOME</c> / <c>HIVE_LISTEN</c>.</summary>
public sealed record DaemonSettings(string Home, IPEndPoint Listen, string Subnet, UpstreamSettings Upstream)
{
    /// <summary>How much of the event log is kept (daemon.json <c>events</c>).</summary>
    public EventRetentionSettings Events { get; init; } = EventRetentionSettings.Default;

    /// <summary>How the FUSE mounts are served (daemon.json <c>files</c>).</summary>
    public FilesSettings Files { get; init; } = FilesSettings.Default;

    public const string DefaultSubnet = "10.201.0.0/16";

    /// <summary>Six hex digits derived from the home directory; names this daemon's host objects (nft table, veths, namespaces).</summary>
    public string Tag { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Home)))[..6];

    public string TokenPath => Path.Combine(Home, "token");
    public string DatabasePath => Path.Combine(Home, "hive.db");

    public static DaemonSettings Load()
    {
        var home = HiveHome.Resolve();
        var file = Path.Combine(home, "daemon.json");
        string listen = HiveHome.DefaultListen, subnet = DefaultSubnet;
        var upstream = new UpstreamSettings(new Dictionary<string, string>(), [], null);
        var events = EventRetentionSettings.Default;
        var files = FilesSettings.Default;
        if (File.Exists(file))
        {
            try
            {
                (listen, subnet, upstream, events, files) = Parse(File.ReadAllText(file), listen, subnet);
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new FormatException($"{file}: {e.Message}");
            }
        }
        if (Environment.GetEnvironmentVariable("HIVE_LISTEN") is { Length: > 0 } l) listen = l;
        return new DaemonSettings(home, ParseEndpoint(listen), subnet, upstream) { Events = events, Files = files };
    }

    internal static (string Listen, string Subnet, UpstreamSettings Upstream, EventRetentionSettings Events, FilesSettings Files) Parse(string json, string listen, string subnet)
    {
        var events = EventRetentionSettings.Default;
        var files = FilesSettings.Default;
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
                case "files": files = FilesSettings.Parse(p.Value); break;
                default: throw new FormatException($"{p.Name}: unknown setting (allowed: listen, subnet, upstream, events, files)");
            }
        }
        return (listen, subnet, new UpstreamSettings(hosts, allow, ca), events, files);
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

    public static IPEndPoint ParseEndpoint(string listen)
    {
        if (IPEndPoint.TryParse(listen, out var ep) && ep.Port != 0) return ep;
        throw new FormatException($"listen: must be ADDRESS:PORT such as 127.0.0.1:9000, got \"{listen}\"");
    }
}
