using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace HiveClient;

/// <summary>
/// A request (or raw flow) the egress proxy holds for a person: an <c>ask</c> rule matched, or no rule did and the
/// sandbox's <c>egressDefault</c> is <c>ask</c>. Answer it with <see cref="AllowAsync"/> or <see cref="DenyAsync"/>.
/// </summary>
public sealed class Approval
{
    private readonly HiveConnection _conn;

    internal Approval(HiveConnection conn, JsonObject data)
    {
        _conn = conn;
        Data = data;
    }

    /// <summary>The approval as the daemon sent it (id, sandbox, kind, host, port, method, path, rule, waiters, createdAt, expiresAt).</summary>
    public JsonObject Data { get; }

    public string Id => (string)Data["id"]!;
    public string Sandbox => (string)Data["sandbox"]!;
    /// <summary><c>http</c>, <c>https</c>, <c>tcp</c> or <c>tls</c>.</summary>
    public string Kind => (string?)Data["kind"] ?? "";
    public string Host => (string)Data["host"]!;
    public int Port => (int)Data["port"]!;
    /// <summary>The HTTP method, or <c>TCP</c> / <c>TLS</c> for a raw flow.</summary>
    public string Method => (string)Data["method"]!;
    /// <summary>The request's path; null for a raw flow.</summary>
    public string? Path => (string?)Data["path"];
    /// <summary>The index of the ask rule that matched; null when <c>egressDefault: ask</c> did.</summary>
    public int? Rule => (int?)Data["rule"];
    public DateTimeOffset ExpiresAt => DateTimeOffset.Parse((string)Data["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Lets the request through. <paramref name="sandboxWide"/>: also adds an allow rule for its host and port to the
    /// sandbox's config (narrowed by <paramref name="methods"/> and <paramref name="paths"/>), so later ones pass without asking.
    /// </summary>
    public Task<JsonObject> AllowAsync(bool sandboxWide = false, IEnumerable<string>? methods = null, IEnumerable<string>? paths = null, CancellationToken ct = default) =>
        _conn.DecideApprovalAsync(Id, true, sandboxWide, methods, paths, ct);

    /// <summary>Refuses the request (403). <paramref name="sandboxWide"/>: also adds a deny rule for its host and port.</summary>
    public Task<JsonObject> DenyAsync(bool sandboxWide = false, IEnumerable<string>? methods = null, IEnumerable<string>? paths = null, CancellationToken ct = default) =>
        _conn.DecideApprovalAsync(Id, false, sandboxWide, methods, paths, ct);

    public override string ToString() => $"{Id} {Sandbox} {Method} {Host}:{Port}{Path}";
}

public sealed partial class HiveConnection
{
    /// <summary>Requests waiting for a decision now, across sandboxes (or of one <paramref name="sandbox"/>).</summary>
    public async Task<IReadOnlyList<Approval>> GetApprovalsAsync(string? sandbox = null, CancellationToken ct = default)
    {
        var array = await GetJsonAsync("v1/approvals" + SandboxQuery(sandbox, follow: false), HiveJsonContext.Default.JsonArray, ct).ConfigureAwait(false);
        return [.. array.OfType<JsonObject>().Select(o => new Approval(this, o))];
    }

    /// <summary>
    /// Held requests as they arrive (those already waiting first), until <paramref name="ct"/> is cancelled:
    /// <c>await foreach (var a in hive.Approvals()) await a.AllowAsync();</c>
    /// </summary>
    public async IAsyncEnumerable<Approval> Approvals(string? sandbox = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "v1/approvals" + SandboxQuery(sandbox, follow: true));
        req.Headers.Accept.ParseAdd("text/event-stream");
        using var resp = await SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        using var sse = new SseReader(await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await sse.ReadAsync(ct).ConfigureAwait(false) is { } frame)
            if (frame.Event == "approval" && JsonNode.Parse(frame.Data) is JsonObject o) yield return new Approval(this, o);
    }

    /// <summary>Answers a held request by id (what <see cref="Approval.AllowAsync"/> and <see cref="Approval.DenyAsync"/> call).</summary>
    public async Task<JsonObject> DecideApprovalAsync(string id, bool allow, bool sandboxWide = false, IEnumerable<string>? methods = null,
        IEnumerable<string>? paths = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var body = new JsonObject { ["decision"] = allow ? "allow" : "deny", ["scope"] = sandboxWide ? "sandbox" : "once" };
        if (methods is not null || paths is not null)
        {
            var rule = new JsonObject();
            if (methods is not null) rule["methods"] = new JsonArray([.. methods.Select(m => (JsonNode)m)]);
            if (paths is not null) rule["paths"] = new JsonArray([.. paths.Select(p => (JsonNode)p)]);
            body["rule"] = rule;
        }
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/approvals/" + Uri.EscapeDataString(id))
        {
            Content = JsonContent.Create(body, HiveJsonContext.Default.JsonObject),
        };
        using var resp = await SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await ReadJsonAsync(resp, HiveJsonContext.Default.JsonObject, ct).ConfigureAwait(false);
    }

    private static string SandboxQuery(string? sandbox, bool follow) =>
        (sandbox is null ? "?" : "?sandbox=" + Uri.EscapeDataString(sandbox) + "&") + (follow ? "follow=true" : "follow=false");
}
