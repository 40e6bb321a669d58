using System.Text.Json;
using Hive.Core.Config;
using Hive.Daemon.Api;

namespace Hive.Daemon.Approvals;

/// <summary>
/// The body of <c>POST /v1/approvals/{id}</c>: <c>{ "decision": "allow"|"deny", "scope": "once"|"sandbox",
/// "rule": { "methods": [...], "paths": [...] } }</c>. Parsing only; the rule's own checks are the config parser's.
/// </summary>
public sealed record ApprovalRequestBody(bool Allow, bool SandboxWide, IReadOnlyList<string>? Methods, IReadOnlyList<string>? Paths)
{
    private static readonly string[] Fields = ["decision", "scope", "rule"];
    private static readonly string[] RuleFields = ["methods", "paths"];

    public static ApprovalRequestBody Parse(ReadOnlySpan<byte> body)
    {
        var errors = new List<ConfigError>();
        if (body.Trim(" \t\r\n"u8).IsEmpty) throw Invalid([new ConfigError("", "a body is required: { \"decision\": \"allow\" | \"deny\", \"scope\": \"once\" | \"sandbox\" }")]);
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Invalid([new ConfigError("", "must be a JSON object { \"decision\": ..., \"scope\": ... }")]);
        foreach (var p in root.EnumerateObject())
            if (!Fields.Contains(p.Name)) errors.Add(new ConfigError(p.Name, $"unknown field (allowed: {string.Join(", ", Fields)})"));

        bool? allow = null;
        if (!root.TryGetProperty("decision", out var d)) errors.Add(new ConfigError("decision", "is required: one of allow, deny"));
        else if (d.ValueKind == JsonValueKind.String && d.GetString() is "allow" or "deny") allow = d.GetString() == "allow";
        else errors.Add(new ConfigError("decision", "must be one of allow, deny"));

        var sandboxWide = false;
        if (root.TryGetProperty("scope", out var s))
        {
            if (s.ValueKind == JsonValueKind.String && s.GetString() is "once" or "sandbox") sandboxWide = s.GetString() == "sandbox";
            else errors.Add(new ConfigError("scope", "must be one of once (this request only), sandbox (also add a rule to the sandbox's config)"));
        }

        IReadOnlyList<string>? methods = null, paths = null;
        if (root.TryGetProperty("rule", out var r) && r.ValueKind != JsonValueKind.Null)
        {
            if (!sandboxWide) errors.Add(new ConfigError("rule", "only goes with \"scope\": \"sandbox\" (a rule is added to the config only then)"));
            if (r.ValueKind != JsonValueKind.Object) errors.Add(new ConfigError("rule", "must be an object { \"methods\": [...], \"paths\": [...] }"));
            else
            {
                foreach (var p in r.EnumerateObject())
                    if (!RuleFields.Contains(p.Name)) errors.Add(new ConfigError("rule." + p.Name, $"unknown field (allowed: {string.Join(", ", RuleFields)}; host and port are the held request's)"));
                methods = Strings(r, "methods", errors);
                paths = Strings(r, "paths", errors);
            }
        }
        if (errors.Count > 0) throw Invalid(errors);
        return new ApprovalRequestBody(allow!.Value, sandboxWide, methods, paths);
    }

    private static IReadOnlyList<string>? Strings(JsonElement rule, string name, List<ConfigError> errors)
    {
        if (!rule.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0 || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            errors.Add(new ConfigError("rule." + name, "must be a non-empty list of strings (omit it for any)"));
            return null;
        }
        return [.. v.EnumerateArray().Select(x => x.GetString()!)];
    }

    private static ApiProblem Invalid(IReadOnlyList<ConfigError> errors) => ApiProblem.Invalid(errors, "Invalid approval decision");
}
