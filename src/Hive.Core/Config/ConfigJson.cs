using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hive.Core.Config;

/// <summary>Writes a config as normalised camelCase JSON that <see cref="ConfigParser"/> reads back to an equal config.</summary>
public static class ConfigJson
{
    public const string Redacted = "***";

    // The output is an API body, never HTML, so readable non-ASCII beats \u escapes.
    private static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="redact">Replace every override header and query value with <c>***</c>.</param>
    public static string Serialize(SandboxConfig config, bool redact) => ToJsonNode(config, redact).ToJsonString(WriteOptions);

    /// <param name="redact">Replace every override header and query value with <c>***</c>.</param>
    public static JsonObject ToJsonNode(SandboxConfig config, bool redact) => new()
    {
        ["image"] = config.Image,
        ["env"] = Map(config.Env, redact: false),
        ["secrets"] = Map(config.Secrets, redact: false),
        ["fs"] = new JsonArray([.. config.Fs.Select(Mount)]),
        ["egress"] = new JsonArray([.. config.Egress.Select(rule => Rule(rule, redact))]),
        ["egressDefault"] = config.EgressDefault == EgressDefault.Ask ? "ask" : "deny",
        ["askTimeout"] = config.AskTimeout,
        ["ttl"] = config.Ttl,
        ["resources"] = new JsonObject
        {
            ["cpus"] = config.Resources.Cpus,
            ["memoryMb"] = config.Resources.MemoryMb,
            ["pids"] = config.Resources.Pids,
        },
    };

    public static string Name(FsBackend backend) => backend switch
    {
        FsBackend.Local => "local",
        FsBackend.Azure => "azure",
        FsBackend.S3 => "s3",
        FsBackend.Gcs => "gcs",
        _ => throw new ArgumentOutOfRangeException(nameof(backend)),
    };

    public static string Name(AclAccess access) => access switch
    {
        AclAccess.Rw => "rw",
        AclAccess.Ro => "ro",
        AclAccess.Deny => "deny",
        _ => throw new ArgumentOutOfRangeException(nameof(access)),
    };

    public static string Name(EgressAccess access) => access switch
    {
        EgressAccess.Allow => "allow",
        EgressAccess.Deny => "deny",
        EgressAccess.Ask => "ask",
        _ => throw new ArgumentOutOfRangeException(nameof(access)),
    };

    private static JsonObject Mount(FsMount mount)
    {
        var o = new JsonObject { ["backend"] = Name(mount.Backend), ["mount"] = mount.Mount };
        AddIfSet(o, "volume", mount.Volume);
        AddIfSet(o, "origin", mount.Origin);
        AddIfSet(o, "container", mount.Container);
        AddIfSet(o, "bucket", mount.Bucket);
        AddIfSet(o, "prefix", mount.Prefix);
        AddIfSet(o, "region", mount.Region);
        AddIfSet(o, "endpoint", mount.Endpoint);
        AddIfSet(o, "credentials", mount.Credentials);
        o["acls"] = new JsonArray([.. mount.Acls.Select(acl => new JsonObject { ["path"] = acl.Path, ["access"] = Name(acl.Access) })]);
        return o;
    }

    private static JsonObject Rule(EgressRule rule, bool redact)
    {
        var o = new JsonObject { ["access"] = Name(rule.Access), ["host"] = rule.Host };
        if (rule.Ports is not null) o["ports"] = new JsonArray([.. rule.Ports.Select(p => (JsonNode)p)]);
        if (rule.Methods is not null) o["methods"] = new JsonArray([.. rule.Methods.Select(m => (JsonNode)m)]);
        if (rule.Paths is not null) o["paths"] = new JsonArray([.. rule.Paths.Select(p => (JsonNode)p)]);
        if (rule.Override is not null)
            o["override"] = new JsonObject { ["headers"] = Map(rule.Override.Headers, redact), ["query"] = Map(rule.Override.Query, redact) };
        return o;
    }

    private static JsonObject Map(IReadOnlyDictionary<string, string> map, bool redact)
    {
        var o = new JsonObject();
        foreach (var (key, value) in map) o[key] = redact ? Redacted : value;
        return o;
    }

    private static void AddIfSet(JsonObject o, string name, string? value)
    {
        if (value is not null) o[name] = value;
    }
}
