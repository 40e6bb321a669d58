using System.Globalization;
using System.Text.Json.Nodes;
using Hive.Core.Config;
using Hive.Daemon.Sandboxes;
using Hive.Daemon.Store;

namespace Hive.Daemon.Api;

/// <summary>How sandboxes and apply results appear in API responses: configs always redacted.</summary>
public sealed class SandboxJson(string publicBaseUrl)
{
    public JsonObject Sandbox(SandboxRecord s)
    {
        var o = new JsonObject
        {
            ["name"] = s.Name,
            ["status"] = s.Status,
            ["image"] = s.Config.Image,
            ["config"] = ConfigJson.ToJsonNode(s.Config, redact: true),
            ["url"] = $"{publicBaseUrl}/sandboxes/{s.Name}/",
            ["createdAt"] = s.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture),
        };
        if (s.Host is not null) o["host"] = s.Host;
        if (s.Error is not null) o["error"] = s.Error;
        return o;
    }

    public static JsonObject Apply(ApplyResult r)
    {
        var changes = new JsonArray();
        foreach (var c in r.Changes) changes.Add(c);
        var warnings = new JsonArray();
        foreach (var w in r.Warnings) warnings.Add(w);
        return new JsonObject
        {
            ["applied"] = r.Applied,
            ["config"] = ConfigJson.ToJsonNode(r.Config, redact: true),
            ["changes"] = changes,
            ["warnings"] = warnings,
        };
    }
}
