namespace Hive.Core.Config;

/// <summary>
/// GET config shows override values as "***". A client that reads the config, edits it and applies it
/// back (the documented pattern) sends those placeholders back: they mean "keep the value in force",
/// never the literal "***". A placeholder with no value to keep is an error.
/// </summary>
public static class RedactedValues
{
    public static (SandboxConfig Config, IReadOnlyList<ConfigError> Errors) Restore(SandboxConfig current, SandboxConfig proposed)
    {
        var errors = new List<ConfigError>();
        var rules = new List<EgressRule>(proposed.Egress.Count);
        var changed = false;
        for (var i = 0; i < proposed.Egress.Count; i++)
        {
            var rule = proposed.Egress[i];
            if (rule.Override is not { } o || !HasPlaceholder(o)) { rules.Add(rule); continue; }
            var headers = Fill(o.Headers, i, "headers", k => Find(current, rule, i, r => r.Headers, k), errors);
            var query = Fill(o.Query, i, "query", k => Find(current, rule, i, r => r.Query, k), errors);
            rules.Add(rule with { Override = new EgressOverride { Headers = headers, Query = query } });
            changed = true;
        }
        return (changed ? proposed with { Egress = rules } : proposed, errors);
    }

    private static bool HasPlaceholder(EgressOverride o) =>
        o.Headers.Values.Contains(ConfigJson.Redacted) || o.Query.Values.Contains(ConfigJson.Redacted);

    private static IReadOnlyDictionary<string, string> Fill(IReadOnlyDictionary<string, string> values, int rule, string kind,
        Func<string, string?> keep, List<ConfigError> errors)
    {
        var result = new Dictionary<string, string>(values.Count, StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            if (value != ConfigJson.Redacted) { result[key] = value; continue; }
            if (keep(key) is { } kept) result[key] = kept;
            else errors.Add(new ConfigError($"egress[{rule}].override.{kind}[\"{key}\"]",
                $"\"{ConfigJson.Redacted}\" is the redacted placeholder and no rule in force for this host sets {key}; give the real value"));
        }
        return result;
    }

    // The same rule position is the best witness; otherwise the first rule in force for the same host and access.
    private static string? Find(SandboxConfig current, EgressRule rule, int index,
        Func<EgressOverride, IReadOnlyDictionary<string, string>> pick, string key)
    {
        if (index < current.Egress.Count && Value(current.Egress[index], rule, pick, key) is { } same) return same;
        foreach (var r in current.Egress)
            if (Value(r, rule, pick, key) is { } v) return v;
        return null;
    }

    private static string? Value(EgressRule candidate, EgressRule rule, Func<EgressOverride, IReadOnlyDictionary<string, string>> pick, string key) =>
        candidate.Host == rule.Host && candidate.Access == rule.Access && candidate.Override is { } o
            && pick(o).TryGetValue(key, out var v) ? v : null;
}
