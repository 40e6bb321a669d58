using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

/// <summary>Realistic (fake) key formats, generated deterministically.</summary>
internal static class SecretSamples
{
    public static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 7))];
    public static readonly byte[] OtherKey = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 11))];

    public const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    public const string UrlSafe = Alnum + "-_";
    public const string Base64 = Alnum + "+/";
    public const string HexLower = "0123456789abcdef";
    public const string HexUpper = "0123456789ABCDEF";

    public static string Random(string alphabet, int length, int seed)
    {
        var random = new Random(seed);
        return new string([.. Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)])]);
    }

    /// <summary>(format name, expected kept prefix, value) for every format the stand-ins must keep the shape of.</summary>
    public static IEnumerable<(string Format, string Prefix, string Value)> Formats(int seed)
    {
        yield return ("anthropic", "sk-ant-api03-", "sk-ant-api03-" + Random(UrlSafe, 93, seed) + "AA");
        yield return ("anthropic-admin", "sk-ant-admin01-", "sk-ant-admin01-" + Random(UrlSafe, 93, seed + 1) + "AA");
        yield return ("openai-legacy", "sk-", "sk-" + Random(Alnum, 48, seed + 2));
        yield return ("openai-project", "sk-proj-", "sk-proj-" + Random(UrlSafe, 156, seed + 3));
        yield return ("openai-svcacct", "sk-svcacct-", "sk-svcacct-" + Random(UrlSafe, 120, seed + 4));
        yield return ("github-classic", "ghp_", "ghp_" + Random(Alnum, 36, seed + 5));
        yield return ("github-oauth", "gho_", "gho_" + Random(Alnum, 36, seed + 6));
        yield return ("github-app-user", "ghu_", "ghu_" + Random(Alnum, 36, seed + 7));
        yield return ("github-app-server", "ghs_", "ghs_" + Random(Alnum, 36, seed + 8));
        yield return ("github-fine-grained", "github_pat_", "github_pat_" + Random(Alnum, 22, seed + 9) + "_" + Random(Alnum, 59, seed + 10));
        yield return ("google", "AIza", "AIza" + Random(UrlSafe, 35, seed + 11));
        yield return ("xai", "xai-", "xai-" + Random(Alnum, 80, seed + 12));
        yield return ("groq", "gsk_", "gsk_" + Random(Alnum, 52, seed + 13));
        yield return ("mistral", "", Random(Alnum, 32, seed + 14));
        yield return ("openrouter", "sk-or-v1-", "sk-or-v1-" + Random(HexLower, 64, seed + 15));
        yield return ("hex-lower", "", Random(HexLower, 40, seed + 16));
        yield return ("hex-upper", "", Random(HexUpper, 32, seed + 17));
        yield return ("base64", "", Random(Base64, 40, seed + 18) + "==");
        yield return ("uuid", "", Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301").ToString());
        yield return ("dotted-jwt-like", "", Random(UrlSafe, 36, seed + 19) + "." + Random(UrlSafe, 60, seed + 20) + "." + Random(UrlSafe, 43, seed + 21));
        yield return ("digits-long", "", Random("0123456789", 40, seed + 22));
        yield return ("lower-only", "", Random("abcdefghijklmnopqrstuvwxyz", 24, seed + 23));
    }

    public static ResolvedSecret Resolve(SecretDefinition definition) =>
        definition.TryResolve(out var resolved, out var errors) ? resolved : throw new InvalidOperationException(string.Join("; ", errors));

    public static ResolvedSecret Provider(string name, string? secretName = null) => Resolve(new(secretName ?? name, name));

    public static ResolvedSecret Custom(string name, string[] hosts, SecretAuth auth) => Resolve(new(name, Hosts: hosts, Auth: auth));
}
