using System.Text.Json.Nodes;
using Hive.Core.Config;
using Hive.Core.Secrets;

namespace Hive.Daemon.Store;

/// <summary>How values that are JSON in a column (a sandbox's config, a secret's hosts and auth) are written and read back, by every store.</summary>
internal static class StoredColumns
{
    public static string Config(SandboxConfig config) => ConfigJson.Serialize(config, redact: false);

    public static SandboxConfig ParseConfig(string name, string json)
    {
        var parsed = ConfigParser.Parse(json, name);
        return parsed.Config ?? throw new InvalidDataException($"stored config of sandbox {name} no longer parses: {string.Join("; ", parsed.Errors)}");
    }

    public static string Labels(IReadOnlyDictionary<string, string> labels)
    {
        var o = new JsonObject();
        foreach (var (k, v) in labels.OrderBy(l => l.Key, StringComparer.Ordinal)) o[k] = v;
        return o.ToJsonString();
    }

    public static IReadOnlyDictionary<string, string> ParseLabels(string json) =>
        JsonNode.Parse(json)!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal);

    public static string? HostsJson(IReadOnlyList<string>? hosts)
    {
        if (hosts is null) return null;
        var a = new JsonArray();
        foreach (var h in hosts) a.Add(h);
        return a.ToJsonString();
    }

    public static IReadOnlyList<string>? ParseHosts(string? json) =>
        json is null ? null : [.. JsonNode.Parse(json)!.AsArray().Select(n => n!.GetValue<string>())];

    public static string? AuthJson(SecretAuth? auth) => auth is null ? null : new JsonObject
    {
        ["type"] = auth.Type.ToString().ToLowerInvariant(),
        ["name"] = auth.Name,
        ["prefix"] = auth.Prefix,
        ["basicUser"] = auth.BasicUser,
    }.ToJsonString();

    public static SecretAuth? ParseAuth(string? json)
    {
        if (json is null) return null;
        var o = JsonNode.Parse(json)!.AsObject();
        return new SecretAuth(Enum.Parse<SecretAuthType>((string)o["type"]!, ignoreCase: true), (string?)o["name"], (string?)o["prefix"], (string?)o["basicUser"]);
    }
}
