using System.Globalization;
using System.Text.Json.Nodes;
using Hive.Core;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Daemon.Secrets;
using Hive.Daemon.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

/// <summary>The secret routes (docs/api.md). Values go in and never come back: responses carry a masked form at most.</summary>
public static class SecretEndpoints
{
    public const int DefaultActivityLimit = 100;
    public const int MaxActivityLimit = 1000;

    public static void MapSecrets(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/secrets").WithTags("Secrets");

        g.MapGet("", (SecretService secrets) =>
        {
            var list = new JsonArray();
            var bindings = secrets.Bindings();
            foreach (var s in secrets.List())
            {
                var info = Info(s, secrets.Masked(s));
                var bound = new JsonArray();
                foreach (var (sandbox, env) in bindings.GetValueOrDefault((s.Scope, s.Name)) ?? [])
                    bound.Add(new JsonObject { ["name"] = sandbox, ["env"] = new JsonArray([.. env.Select(v => JsonValue.Create(v))]) });
                info["sandboxes"] = bound;
                list.Add(info);
            }
            return Results.Text(list.ToJsonString(), "application/json");
        }).WithSummary("List secrets: name, provider or hosts and auth, scope, masked value (first and last 4 characters of long values), times, and the sandboxes that bind each (with the env vars holding its stand-in). Never the value.");

        g.MapPut("/{name}", async (string name, HttpRequest request, SecretService secrets, CancellationToken ct) =>
        {
            CheckName(name);
            var body = await HttpBody.ReadJsonAsync(request, ct);
            var parsed = SecretRequests.ParseSet(name, body.Span, out var errors);
            if (parsed is null) throw ApiProblem.Invalid(errors, "Invalid secret");
            var (secret, created) = secrets.Set(name, parsed);
            return Results.Text(Info(secret, secrets.Masked(secret)).ToJsonString(), "application/json", statusCode: created ? 201 : 200);
        }).WithSummary("Store a secret (create 201 or replace 200). Body: { value, provider } or { value, hosts, auth: { type: bearer|header|basic|query, name?, prefix? } }, plus global: true or sandbox: NAME.");

        g.MapDelete("/{name}", (string name, string? sandbox, SecretService secrets) =>
        {
            CheckName(name);
            secrets.Delete(name, Sandbox(sandbox));
            return Results.NoContent();
        }).WithSummary("Delete a secret: its stand-ins are refused (403, secret.revoked) from the next request on. ?sandbox=NAME picks a sandbox-scoped one.");

        g.MapPost("/{name}/rotate", async (string name, HttpRequest request, SecretService secrets, CancellationToken ct) =>
        {
            CheckName(name);
            var body = await HttpBody.ReadJsonAsync(request, ct);
            var parsed = SecretRequests.ParseRotate(body.Span, out var errors);
            if (parsed is not { } p) throw ApiProblem.Invalid(errors, "Invalid secret");
            var secret = secrets.Rotate(name, Sandbox(p.Sandbox ?? request.Query["sandbox"].ToString()), p.Value);
            return Results.Text(Info(secret, secrets.Masked(secret)).ToJsonString(), "application/json");
        }).WithSummary("Replace a secret's value (body: { value }); sandboxes keep their stand-ins and use the new value on their next request.");

        g.MapGet("/{name}/activity", (string name, HttpRequest request, SecretService secrets) =>
        {
            CheckName(name);
            var q = request.Query;
            ActivityStatusFilter? status = null;
            if (q["status"].ToString() is { Length: > 0 } st)
            {
                if (!ActivityStatusFilter.TryParse(st, out var f, out var error)) throw Invalid("status", error);
                status = f;
            }
            var limit = DefaultActivityLimit;
            if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxActivityLimit))
                throw Invalid("limit", $"must be a whole number from 1 to {MaxActivityLimit}");
            long? before = null;
            if (q["before"].ToString() is { Length: > 0 } b)
            {
                if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                    throw Invalid("before", "must be the id of an activity entry (the next page starts below it)");
                before = id;
            }
            var list = new JsonArray();
            foreach (var a in secrets.Activity(name, Sandbox(q["sandbox"].ToString()), status, before, limit)) list.Add(Activity(a));
            return Results.Text(list.ToJsonString(), "application/json");
        }).WithSummary("Requests that used the secret (or carried its stand-in to a wrong host, or after it was revoked), newest first. ?status=4xx|403, ?limit=N (1-1000, default 100), ?before=ID for the next page, ?sandbox=NAME.");
    }

    public static JsonObject Info(SecretRecord s, string? masked)
    {
        var o = new JsonObject { ["name"] = s.Name };
        if (s.Provider is not null) o["provider"] = s.Provider;
        var definition = s.Definition;
        var hosts = new JsonArray();
        var auth = s.Auth;
        if (definition.TryResolve(out var resolved, out _))
        {
            foreach (var h in resolved.Hosts.Patterns) hosts.Add(h);
            auth = resolved.Auth;
        }
        else foreach (var h in s.Hosts ?? []) hosts.Add(h);
        o["hosts"] = hosts;
        if (auth is not null)
        {
            var a = new JsonObject { ["type"] = auth.Type.ToString().ToLowerInvariant() };
            if (auth.Name is not null) a["name"] = auth.Name;
            if (auth.Prefix is not null) a["prefix"] = auth.Prefix;
            if (auth.BasicUser is not null) a["basicUser"] = auth.BasicUser;
            o["auth"] = a;
        }
        if (s.Scope.Length > 0) o["scope"] = new JsonObject { ["sandbox"] = s.Scope };
        else if (s.Global) o["scope"] = "global";
        if (masked is not null) o["masked"] = masked;
        o["createdAt"] = Time(s.CreatedAt);
        if (s.RotatedAt is { } r) o["rotatedAt"] = Time(r);
        return o;
    }

    private static JsonObject Activity(SecretActivityRecord a)
    {
        var o = new JsonObject
        {
            ["id"] = a.Id,
            ["ts"] = Time(a.Ts),
            ["secret"] = a.Secret,
            ["sandbox"] = a.Sandbox,
            ["kind"] = a.Kind,
            ["method"] = a.Method,
            ["host"] = a.Host,
            ["path"] = a.Path,
            ["status"] = a.Status,
            ["durationMs"] = a.DurationMs ?? 0,
        };
        if (a.UpstreamStatus is { } u) o["upstreamStatus"] = u;
        if (a.Error is not null) o["error"] = a.Error;
        return o;
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void CheckName(string name)
    {
        if (!SecretDefinition.IsValidName(name))
            throw Invalid("name", $"must be 1-{SecretDefinition.MaxNameLength} characters of letters, digits, _, . and -, starting with a letter or digit");
    }

    private static string? Sandbox(string? sandbox)
    {
        if (string.IsNullOrEmpty(sandbox)) return null;
        if (!SandboxName.IsValid(sandbox)) throw Invalid("sandbox", "must be a sandbox name: 1-63 letters, digits, '_' or '-', starting with a letter or digit");
        return sandbox;
    }

    private static ApiProblem Invalid(string field, string message) => ApiProblem.Invalid([new ConfigError(field, message)], "Invalid request");
}
