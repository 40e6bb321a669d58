namespace Hive.Core.Llm;

/// <summary>
/// Which requests are calls to a language model API, and whose: the catalogue's model providers, on their
/// API hosts, for the generation endpoints (not model listings, files or batches).
/// </summary>
public static class LlmEndpoints
{
    private static readonly Dictionary<string, string> ProviderByHost = new(StringComparer.OrdinalIgnoreCase)
    {
        ["api.anthropic.com"] = "anthropic",
        ["api.openai.com"] = "openai",
        ["generativelanguage.googleapis.com"] = "google",
        ["api.groq.com"] = "groq",
        ["api.mistral.ai"] = "mistral",
        ["api.x.ai"] = "xai",
        ["openrouter.ai"] = "openrouter",
    };

    private static readonly string[] GenerationSuffixes =
    [
        "/messages", "/chat/completions", "/completions", "/responses", "/embeddings",
        ":generateContent", ":streamGenerateContent", ":embedContent",
    ];

    /// <summary>The provider when <paramref name="method"/> <paramref name="path"/> on <paramref name="host"/> is a model call, else null.</summary>
    public static string? Provider(string host, string method, string path)
    {
        if (!string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase) || !ProviderByHost.TryGetValue(host, out var provider))
            return null;
        foreach (var suffix in GenerationSuffixes)
            if (path.EndsWith(suffix, StringComparison.Ordinal)) return provider;
        return null;
    }
}
