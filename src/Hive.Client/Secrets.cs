using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace HiveClient;

/// <summary>How a custom secret authenticates on its hosts (docs/secrets.md).</summary>
public sealed class SecretAuth
{
    /// <summary><c>bearer</c>, <c>header</c>, <c>basic</c> or <c>query</c>.</summary>
    public string Type { get; set; } = "bearer";

    /// <summary>The header (<c>header</c>), query parameter (<c>query</c>) or Basic user name (<c>basic</c>).</summary>
    public string? Name { get; set; }

    /// <summary>Text before the value when it is injected (bearer: <c>Bearer </c> by default).</summary>
    public string? Prefix { get; set; }

    /// <summary>Bearer schemes that also take the value as a Basic password with this user (git over HTTPS).</summary>
    public string? BasicUser { get; set; }

    public static SecretAuth Bearer() => new() { Type = "bearer" };
    public static SecretAuth Header(string name, string? prefix = null) => new() { Type = "header", Name = name, Prefix = prefix };
    public static SecretAuth Basic(string? user = null) => new() { Type = "basic", Name = user };
    public static SecretAuth Query(string name) => new() { Type = "query", Name = name };

    public override string ToString() => Type + (Name is null ? "" : " " + Name);
}

/// <summary>A secret to store: a catalogue <see cref="Provider"/>, or custom <see cref="Hosts"/> and <see cref="Auth"/>.</summary>
public sealed class SecretCreateOptions
{
    public required string Name { get; set; }

    /// <summary>The real value: stored encrypted, never returned. Not serialised by <see cref="ToString"/>.</summary>
    public required string? Value { get; set; }

    public string? Provider { get; set; }
    public List<string>? Hosts { get; set; }
    public SecretAuth? Auth { get; set; }

    /// <summary>Bind into every sandbox created afterwards.</summary>
    public bool Global { get; set; }

    /// <summary>Bind into this one sandbox, at once.</summary>
    public string? Sandbox { get; set; }

    public override string ToString() => $"secret {Name} ({Provider ?? "custom"})";
}

/// <summary>A stored secret as the daemon describes it; the value is never returned.</summary>
public sealed class SecretInfo
{
    public string Name { get; set; } = "";
    public string? Provider { get; set; }
    public List<string> Hosts { get; set; } = [];
    public SecretAuth? Auth { get; set; }

    /// <summary><c>"global"</c>, <c>{ "sandbox": NAME }</c>, or absent (bound only by name through configs).</summary>
    public JsonNode? Scope { get; set; }

    /// <summary>First and last 4 characters of a long value, <c>****</c> otherwise.</summary>
    public string? Masked { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RotatedAt { get; set; }

    [JsonIgnore]
    public bool IsGlobal => Scope is JsonValue v && v.TryGetValue<string>(out var s) && s == "global";

    /// <summary>The sandbox the secret is scoped to, if any.</summary>
    [JsonIgnore]
    public string? Sandbox => Scope is JsonObject o ? (string?)o["sandbox"] : null;

    [JsonIgnore]
    public string ScopeText => IsGlobal ? "global" : Sandbox is { } s ? "sandbox " + s : "by name";
}

/// <summary>One request that used a secret (or carried its stand-in where it was refused).</summary>
public sealed class SecretActivity
{
    public long Id { get; set; }
    public DateTimeOffset Ts { get; set; }
    public string Secret { get; set; } = "";
    public string Sandbox { get; set; } = "";

    /// <summary><c>used</c>, <c>misuse</c> or <c>revoked</c>.</summary>
    public string Kind { get; set; } = "";

    public string? Method { get; set; }
    public string? Host { get; set; }
    public string? Path { get; set; }

    /// <summary>The status the sandbox saw (403 when refused).</summary>
    public int? Status { get; set; }

    public int? UpstreamStatus { get; set; }
    public long DurationMs { get; set; }
    public string? Error { get; set; }
}

/// <summary>Filters for <see cref="SecretClient.ActivityAsync"/>.</summary>
public sealed class SecretActivityOptions
{
    /// <summary>A status class (<c>4xx</c>) or one status (<c>403</c>).</summary>
    public string? Status { get; set; }
    public int? Limit { get; set; }

    /// <summary>Entries older than this activity id (the next page).</summary>
    public long? Before { get; set; }

    public string? Sandbox { get; set; }
}

/// <summary>Secrets on one daemon (<c>/v1/secrets…</c>): values go in and never come back.</summary>
public sealed class SecretClient
{
    private readonly HiveConnection _connection;

    internal SecretClient(HiveConnection connection) => _connection = connection;

    /// <summary>Stores (creates or replaces) a secret.</summary>
    public async Task<SecretInfo> CreateAsync(SecretCreateOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = RequireValue(options.Value, options.Name);
        if (options.Provider is null && (options.Hosts is null || options.Hosts.Count == 0))
            throw new ArgumentException($"Secret '{options.Name}' needs a provider or custom hosts.", nameof(options));
        if (options.Global && options.Sandbox is not null)
            throw new ArgumentException($"Secret '{options.Name}' can be global or scoped to one sandbox, not both.", nameof(options));
        var body = new JsonObject { ["value"] = value };
        if (options.Provider is not null) body["provider"] = options.Provider;
        if (options.Hosts is not null) body["hosts"] = new JsonArray([.. options.Hosts.Select(h => (JsonNode?)h)]);
        if (options.Auth is { } a)
        {
            var auth = new JsonObject { ["type"] = a.Type };
            if (a.Name is not null) auth["name"] = a.Name;
            if (a.Prefix is not null) auth["prefix"] = a.Prefix;
            if (a.BasicUser is not null) auth["basicUser"] = a.BasicUser;
            body["auth"] = auth;
        }
        if (options.Global) body["global"] = true;
        if (options.Sandbox is not null) body["sandbox"] = options.Sandbox;
        using var req = new HttpRequestMessage(HttpMethod.Put, SecretPath(options.Name)) { Content = JsonContent.Create(body, HiveJsonContext.Default.JsonObject) };
        using var resp = await _connection.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await _connection.ReadJsonAsync(resp, HiveJsonContext.Default.SecretInfo, ct).ConfigureAwait(false);
    }

    /// <summary>Every stored secret (masked).</summary>
    public Task<List<SecretInfo>> ListAsync(CancellationToken ct = default) =>
        _connection.GetJsonAsync("v1/secrets", HiveJsonContext.Default.ListSecretInfo, ct);

    /// <summary>Deletes a secret: requests carrying its stand-in are refused from the next one on.</summary>
    public async Task DeleteAsync(string name, string? sandbox = null, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Delete, SecretPath(name) + SandboxQuery(sandbox, "?"));
        using var _ = await _connection.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary>Replaces a secret's value; sandboxes keep their stand-ins and use the new value on their next request.</summary>
    public async Task<SecretInfo> RotateAsync(string name, string? value, string? sandbox = null, CancellationToken ct = default)
    {
        var body = new JsonObject { ["value"] = RequireValue(value, name) };
        if (sandbox is not null) body["sandbox"] = sandbox;
        using var req = new HttpRequestMessage(HttpMethod.Post, SecretPath(name) + "/rotate") { Content = JsonContent.Create(body, HiveJsonContext.Default.JsonObject) };
        using var resp = await _connection.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await _connection.ReadJsonAsync(resp, HiveJsonContext.Default.SecretInfo, ct).ConfigureAwait(false);
    }

    /// <summary>Requests that used the secret, newest first.</summary>
    public Task<List<SecretActivity>> ActivityAsync(string name, SecretActivityOptions? options = null, CancellationToken ct = default)
    {
        var q = new List<string>();
        if (options?.Status is { } s) q.Add("status=" + Uri.EscapeDataString(s));
        if (options?.Limit is { } l) q.Add("limit=" + l);
        if (options?.Before is { } b) q.Add("before=" + b);
        if (options?.Sandbox is { } sb) q.Add("sandbox=" + Uri.EscapeDataString(sb));
        var path = SecretPath(name) + "/activity" + (q.Count == 0 ? "" : "?" + string.Join('&', q));
        return _connection.GetJsonAsync(path, HiveJsonContext.Default.ListSecretActivity, ct);
    }

    private static string SecretPath(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return "v1/secrets/" + Uri.EscapeDataString(name);
    }

    private static string SandboxQuery(string? sandbox, string lead) => sandbox is null ? "" : lead + "sandbox=" + Uri.EscapeDataString(sandbox);

    private static string RequireValue(string? value, string name)
    {
        // Never echo the value in a message.
        if (string.IsNullOrEmpty(value))
            throw new ArgumentException($"Secret '{name}' needs a non-empty value (is the environment variable it comes from set?).", nameof(value));
        return value;
    }
}
