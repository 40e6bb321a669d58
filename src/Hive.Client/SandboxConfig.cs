using System.Text.Json.Serialization;

namespace HiveClient;

/// <summary>
/// The configuration of a sandbox (docs/configuration.md). Every property is optional; what is left <c>null</c> takes the
/// daemon's default and is not written to JSON.
/// </summary>
public sealed class SandboxConfig
{
    /// <summary>Image the sandbox boots from, e.g. <c>hive/base</c>. Immutable after creation.</summary>
    public string? Image { get; set; }

    /// <summary>Environment variables of every process in the sandbox. Immutable after creation.</summary>
    public Dictionary<string, string>? Env { get; set; }

    /// <summary>Environment variable name → secret name. The sandbox sees a stand-in, never the value.</summary>
    public Dictionary<string, string>? Secrets { get; set; }

    /// <summary>Mounts. Omitted: one <c>local</c> mount at <c>/workspace</c>, all <c>rw</c>.</summary>
    public List<FsMount>? Fs { get; set; }

    /// <summary>
    /// Ordered egress rules, first match decides. Omitted or empty: all outbound traffic is denied.
    /// Reading also accepts the <c>{ "allow": [...], "deny": [...] }</c> shape (normalised to this list).
    /// </summary>
    [JsonConverter(typeof(EgressListConverter))]
    public List<EgressRule>? Egress { get; set; }

    /// <summary>What a request no rule matches gets: <c>deny</c> (default) or <c>ask</c> (held for a person).</summary>
    public string? EgressDefault { get; set; }

    /// <summary>Seconds a held request waits for a person before it is denied (default 120, at most 3600).</summary>
    public int? AskTimeout { get; set; }

    /// <summary>Idle seconds before the sandbox stops; 0 = never.</summary>
    public int? Ttl { get; set; }

    /// <summary>CPU, memory and process limits.</summary>
    public Resources? Resources { get; set; }

    /// <summary>A deep copy (through JSON), for read-modify-apply.</summary>
    public SandboxConfig Clone() => HiveJson.ParseConfig(HiveJson.Serialize(this), strict: false);

    /// <summary>This config as JSON (camelCase, nulls omitted).</summary>
    public string ToJson(bool indented = false) => HiveJson.Serialize(this, indented);

    /// <summary>
    /// Parses a config. Unknown fields are rejected with a <see cref="System.Text.Json.JsonException"/> naming their
    /// JSON path, as the daemon would. The egress <c>{allow, deny}</c> shape is accepted.
    /// </summary>
    public static SandboxConfig FromJson(string json) => HiveJson.ParseConfig(json, strict: true);
}

/// <summary>A path in the sandbox backed by storage through the mediating file system.</summary>
public sealed class FsMount
{
    /// <summary><c>local</c> (the default) or <c>azure</c>.</summary>
    public string? Backend { get; set; } = "local";

    /// <summary>Absolute path inside the sandbox, e.g. <c>/workspace</c>.</summary>
    public string? Mount { get; set; }

    /// <summary>Named volume for a local mount; default <c>&lt;sandbox&gt;-&lt;mount slug&gt;</c>.</summary>
    public string? Volume { get; set; }

    /// <summary>A host directory to mount instead of a volume (local backend).</summary>
    public string? Origin { get; set; }

    /// <summary>Ordered ACL rules, first match wins. Omitted: the whole mount is <c>rw</c>.</summary>
    public List<AclRule>? Acls { get; set; }

    public FsMount() { }

    public FsMount(string mount, params AclRule[] acls)
    {
        Mount = mount;
        if (acls.Length > 0) Acls = [.. acls];
    }
}

/// <summary>One file ACL rule: a glob on absolute paths and <c>rw</c>, <c>ro</c> or <c>deny</c>.</summary>
public sealed class AclRule
{
    public string? Path { get; set; }

    /// <summary><c>rw</c>, <c>ro</c> or <c>deny</c>.</summary>
    public string? Access { get; set; }

    public AclRule() { }

    public AclRule(string path, string access)
    {
        Path = path;
        Access = access;
    }
}

/// <summary>One ordered egress rule.</summary>
public sealed class EgressRule
{
    /// <summary><c>allow</c> or <c>deny</c>.</summary>
    public string? Access { get; set; }

    /// <summary>Exact name, <c>*.example.com</c>, <c>*</c>, an IP literal or a CIDR.</summary>
    public string? Host { get; set; }

    /// <summary>Destination ports; omitted = any.</summary>
    public List<int>? Ports { get; set; }

    /// <summary>HTTP methods; omitted = any.</summary>
    public List<string>? Methods { get; set; }

    /// <summary>Globs on the URL path; omitted = any.</summary>
    public List<string>? Paths { get; set; }

    /// <summary>Headers and query parameters set on every request this rule allows (write-only: read back as <c>***</c>).</summary>
    public EgressOverride? Override { get; set; }

    /// <summary>An allow rule.</summary>
    public static EgressRule Allow(string host, IEnumerable<int>? ports = null, IEnumerable<string>? methods = null, IEnumerable<string>? paths = null) =>
        Make("allow", host, ports, methods, paths);

    /// <summary>An ask rule: what it matches is held until a person allows or denies it.</summary>
    public static EgressRule Ask(string host, IEnumerable<int>? ports = null, IEnumerable<string>? methods = null, IEnumerable<string>? paths = null) =>
        Make("ask", host, ports, methods, paths);

    /// <summary>A deny rule.</summary>
    public static EgressRule Deny(string host, IEnumerable<int>? ports = null, IEnumerable<string>? methods = null, IEnumerable<string>? paths = null) =>
        Make("deny", host, ports, methods, paths);

    private static EgressRule Make(string access, string host, IEnumerable<int>? ports, IEnumerable<string>? methods, IEnumerable<string>? paths) => new()
    {
        Access = access,
        Host = host,
        Ports = ports is null ? null : [.. ports],
        Methods = methods is null ? null : [.. methods],
        Paths = paths is null ? null : [.. paths],
    };

    internal EgressRule WithAccess(string access) => new()
    {
        Access = access, Host = Host, Ports = Ports, Methods = Methods, Paths = Paths, Override = Override,
    };
}

/// <summary>Values an egress rule sets on the requests it allows.</summary>
public sealed class EgressOverride
{
    public Dictionary<string, string>? Headers { get; set; }
    public Dictionary<string, string>? Query { get; set; }
}

/// <summary>Helpers for egress rule lists.</summary>
public static class EgressRules
{
    /// <summary>
    /// The list form of the <c>{ allow, deny }</c> shape: deny rules first, then allow rules, each with its
    /// <c>access</c> set (as the daemon normalises it).
    /// </summary>
    public static List<EgressRule> FromAllowDeny(IEnumerable<EgressRule>? allow, IEnumerable<EgressRule>? deny)
    {
        var list = new List<EgressRule>();
        if (deny is not null) foreach (var r in deny) list.Add(r.WithAccess("deny"));
        if (allow is not null) foreach (var r in allow) list.Add(r.WithAccess("allow"));
        return list;
    }
}

/// <summary>cgroup limits of a sandbox.</summary>
public sealed class Resources
{
    public double? Cpus { get; set; }
    public int? MemoryMb { get; set; }
    public int? Pids { get; set; }
}
