using System.Text;
using System.Text.RegularExpressions;
using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

/// <summary>
/// One sandbox's bindings and a tiny template language for request tables:
/// <c>&lt;s:NAME&gt;</c> the stand-in, <c>&lt;v:NAME&gt;</c> the real value, <c>&lt;e:TEXT&gt;</c> percent-encoded,
/// <c>&lt;b64:TEXT&gt;</c> base64 of UTF-8, <c>{nopad:TEXT}</c> base64 without padding (last); innermost first. Headers are lines of <c>Name: value</c>.
/// </summary>
internal static partial class SubstitutionFixture
{
    public const string Sandbox = "sb";

    public static readonly Dictionary<string, string> Values = new()
    {
        ["openai"] = "sk-proj-" + SecretSamples.Random(SecretSamples.UrlSafe, 100, 101),
        ["openai-backup"] = "sk-" + SecretSamples.Random(SecretSamples.Alnum, 48, 102),
        ["anthropic"] = "sk-ant-api03-" + SecretSamples.Random(SecretSamples.UrlSafe, 93, 103) + "AA",
        ["github"] = "ghp_" + SecretSamples.Random(SecretSamples.Alnum, 36, 104),
        ["google"] = "AIza" + SecretSamples.Random(SecretSamples.UrlSafe, 35, 105),
        ["maps"] = "Ab/Cd+Ef=" + SecretSamples.Random(SecretSamples.Alnum, 30, 106) + "/+=",
        ["pay"] = "sk_live_" + SecretSamples.Random(SecretSamples.Alnum, 32, 107),
        ["gone"] = "gsk_" + SecretSamples.Random(SecretSamples.Alnum, 52, 108),
    };

    public static readonly Dictionary<string, ResolvedSecret> Secrets = new()
    {
        ["openai"] = SecretSamples.Provider("openai"),
        ["openai-backup"] = SecretSamples.Custom("openai-backup", ["api.openai.com"], SecretAuth.Bearer),
        ["anthropic"] = SecretSamples.Provider("anthropic"),
        ["github"] = SecretSamples.Provider("github"),
        ["google"] = SecretSamples.Provider("google"),
        ["maps"] = SecretSamples.Custom("maps", ["*.maps.example.com"], new(SecretAuthType.Query, "key")),
        ["pay"] = SecretSamples.Custom("pay", ["api.pay.example"], new(SecretAuthType.Basic)),
    };

    public static string StandInOf(string name) => StandIn.Create(Values[name], Sandbox, name, SecretSamples.Key);

    public static IReadOnlyList<SecretBinding> Bindings { get; } =
        [.. Secrets.Select(s => new SecretBinding(StandInOf(s.Key), s.Value, Values[s.Key]))];

    public static SecretSubstitution Substitution { get; } = new(Bindings, [new RevokedStandIn(StandInOf("gone"), "gone")]);

    [GeneratedRegex("<(s|v|e|b64):([^<>]*)>")]
    private static partial Regex Placeholder();

    [GeneratedRegex("\\{nopad:([^{}]*)\\}")]
    private static partial Regex NoPad();

    public static string? Expand(string? template)
    {
        if (template is null) return null;
        while (true)
        {
            var next = Placeholder().Replace(template, m => m.Groups[1].Value switch
            {
                "s" => StandInOf(m.Groups[2].Value),
                "v" => Values[m.Groups[2].Value],
                "e" => Uri.EscapeDataString(m.Groups[2].Value),
                _ => Convert.ToBase64String(Encoding.UTF8.GetBytes(m.Groups[2].Value)),
            });
            if (next == template)
                return NoPad().Replace(next, m => Convert.ToBase64String(Encoding.UTF8.GetBytes(m.Groups[1].Value)).TrimEnd('='));
            template = next;
        }
    }

    public static List<KeyValuePair<string, string>> Headers(string? template)
    {
        var list = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(template)) return list;
        foreach (var line in template.Split('\n'))
        {
            var colon = line.IndexOf(':');
            list.Add(new(line[..colon], Expand(line[(colon + 1)..].TrimStart(' '))!));
        }
        return list;
    }

    public static string Show(IEnumerable<KeyValuePair<string, string>> headers) => string.Join("\n", headers.Select(h => h.Key + ": " + h.Value));
}
