namespace Hive.Core.Secrets;

/// <summary>A well-known service: the env vars its tools read, the hosts that take its key, and how.</summary>
public sealed record Provider(string Name, IReadOnlyList<string> EnvVars, IReadOnlyList<string> Hosts, SecretAuth Auth)
{
    public override string ToString() => $"{Name} ({string.Join(", ", Hosts)}; {Auth})";
}

/// <summary>The built-in providers (docs/secrets.md lists them). Hosts are normalised host patterns (exact or <c>*.domain</c>).</summary>
public static class ProviderCatalog
{
    public static IReadOnlyList<Provider> All { get; } =
    [
        new("anthropic", ["ANTHROPIC_API_KEY"], ["api.anthropic.com"], SecretAuth.ApiKeyHeader("x-api-key")),
        new("openai", ["OPENAI_API_KEY"], ["api.openai.com"], SecretAuth.Bearer),
        new("github", ["GH_TOKEN", "GITHUB_TOKEN"], ["api.github.com", "github.com", "*.githubusercontent.com"],
            new SecretAuth(SecretAuthType.Bearer, BasicUser: "x-access-token")),
        new("google", ["GEMINI_API_KEY", "GOOGLE_API_KEY"], ["generativelanguage.googleapis.com"], SecretAuth.ApiKeyHeader("x-goog-api-key")),
        new("groq", ["GROQ_API_KEY"], ["api.groq.com"], SecretAuth.Bearer),
        new("mistral", ["MISTRAL_API_KEY"], ["api.mistral.ai"], SecretAuth.Bearer),
        new("xai", ["XAI_API_KEY"], ["api.x.ai"], SecretAuth.Bearer),
        new("openrouter", ["OPENROUTER_API_KEY"], ["openrouter.ai"], SecretAuth.Bearer),
    ];

    private static readonly Dictionary<string, Provider> ByName = All.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public static IEnumerable<string> Names => All.Select(p => p.Name);

    /// <summary>The provider named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static Provider? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The provider one of whose env vars is <paramref name="envVar"/> (exact), or null.</summary>
    public static Provider? FindByEnvVar(string envVar) => All.FirstOrDefault(p => p.EnvVars.Contains(envVar, StringComparer.Ordinal));
}
