using Hive.Core.Config;

namespace Hive.Core.Secrets;

/// <summary>A secret a sandbox binds, and the env vars that carry its stand-in (none: injection by host only).</summary>
public sealed record PlannedBinding(string Secret, IReadOnlyList<string> EnvVars);

/// <summary>A secret that reaches a sandbox by scope (sandbox-scoped, or global when the sandbox was created).</summary>
public sealed record ScopedSecret(string Name, string? Provider);

/// <summary>
/// Which secrets a sandbox binds (docs/secrets.md), in precedence order: the config's <c>secrets: { ENV: name }</c> first,
/// then secrets scoped to the sandbox, then global secrets bound when it was created. A scoped secret from the
/// catalogue puts its stand-in in the provider's env vars, unless the config already sets that variable.
/// </summary>
public static class BindingPlan
{
    public static IReadOnlyList<PlannedBinding> For(SandboxConfig config, IEnumerable<ScopedSecret> sandboxScoped, IEnumerable<ScopedSecret> global)
    {
        var order = new List<string>();
        var env = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var taken = new HashSet<string>(config.Env.Keys, StringComparer.Ordinal);
        void Add(string secret, string? variable)
        {
            if (!env.TryGetValue(secret, out var vars)) { env[secret] = vars = []; order.Add(secret); }
            if (variable is not null && taken.Add(variable)) vars.Add(variable);
        }
        foreach (var (variable, secret) in config.Secrets.OrderBy(kv => kv.Key, StringComparer.Ordinal)) Add(secret, variable);
        foreach (var s in sandboxScoped.Concat(global))
        {
            var provider = s.Provider is null ? null : ProviderCatalog.Find(s.Provider);
            if (provider is null || provider.EnvVars.Count == 0) { Add(s.Name, null); continue; }
            foreach (var variable in provider.EnvVars) Add(s.Name, variable);
        }
        return [.. order.Select(s => new PlannedBinding(s, env[s]))];
    }
}
