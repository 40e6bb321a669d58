using System.Net;
using System.Text;
using System.Text.Json;
using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class ReplacementPatternsTests
{
    private static readonly SecretSubstitution Secrets = SubstitutionFixture.Substitution;
    private static string V(string name) => SubstitutionFixture.Values[name];
    private static string S(string name) => SubstitutionFixture.StandInOf(name);

    private static string Scrub(string host, string text)
    {
        var replacer = ReplacementPatterns.For(Secrets, host).CreateReplacer();
        return Encoding.UTF8.GetString(replacer.ReplaceAll(Encoding.UTF8.GetBytes(text)));
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    // One line per form a reflection may carry: secret, host, how the value appears, how its stand-in must appear.
    public static TheoryData<string, string, string> Forms => new()
    {
        { "openai", "api.openai.com", "{0}" },
        { "openai", "api.openai.com", "Authorization: Bearer {0}\r\n" },
        { "maps", "x.maps.example.com", "?key={e}&x=1" },
        { "maps", "x.maps.example.com", "?key={el}&x=1" },
        { "maps", "x.maps.example.com", "key={form}" },
        { "maps", "x.maps.example.com", "{{\"key\":{json}}}" },
        { "pay", "api.pay.example", "Authorization: Basic {basic}" },
        { "github", "github.com", "{b64:x-access-token:}" },
        { "github", "github.com", "{b64:}" },
        { "github", "github.com", "{b64:a}" },
        { "github", "github.com", "{b64:ab}" },
        { "github", "github.com", "{b64:abc}" },
        { "maps", "x.maps.example.com", "{b64url:q}" },
    };

    private static string Render(string template, string value, string auth) =>
        template.Replace("{0}", value).Replace("{el}", Uri.EscapeDataString(value).Replace("%2F", "%2f").Replace("%2B", "%2b").Replace("%3D", "%3d"))
            .Replace("{e}", Uri.EscapeDataString(value)).Replace("{form}", WebUtility.UrlEncode(value))
            .Replace("{json}", JsonSerializer.Serialize(value)).Replace("{basic}", auth)
            .Replace("{b64:x-access-token:}", B64("x-access-token:" + value))
            .Replace("{b64:}", B64(value)).Replace("{b64:a}", B64("a" + value + "z")).Replace("{b64:ab}", B64("ab" + value + "zz"))
            .Replace("{b64:abc}", B64("abc" + value + "\n"))
            .Replace("{b64url:q}", B64("q" + value + "!").Replace('+', '-').Replace('/', '_'));

    [Theory]
    [MemberData(nameof(Forms))]
    public void Each_form_of_the_value_becomes_the_same_form_of_the_stand_in(string secret, string host, string template)
    {
        var real = Render(template, V(secret), "Basic " + B64(V(secret) + ":"));
        var scrubbed = Scrub(host, real);
        Assert.NotEqual(real, scrubbed);
        var core = V(secret)[4..^4]; // no run of the value's middle may survive, plain or base64
        Assert.DoesNotContain(core, scrubbed);
        foreach (var offset in new[] { "", "a", "ab" })
            Assert.DoesNotContain(B64(offset + core)[4..^4], scrubbed);
        if (!template.Contains("b64")) Assert.Equal(Render(template, S(secret), "Basic " + B64(S(secret) + ":")), scrubbed);
        else if (template is "{b64:}" or "{b64:x-access-token:}") Assert.Equal(Render(template, S(secret), ""), scrubbed);
    }

    [Fact]
    public void Only_the_secrets_of_the_host_are_replaced()
    {
        var text = V("openai") + " " + V("github");
        Assert.Equal(S("openai") + " " + V("github"), Scrub("api.openai.com", text));
        Assert.True(ReplacementPatterns.For(Secrets, "other.example.com").IsEmpty);
        Assert.True(ReplacementPatterns.For(SecretSubstitution.Empty, "api.openai.com").IsEmpty);
    }

    [Fact]
    public void Header_values_are_scrubbed_and_untouched_ones_are_the_same_instance()
    {
        var scrub = new ResponseScrub(ReplacementPatterns.For(Secrets, "api.openai.com"));
        var clean = "no secret here";
        Assert.Same(clean, scrub.Scrub(clean));
        Assert.Equal($"invalid key {S("openai")}, got {Uri.EscapeDataString(S("openai"))}",
            scrub.Scrub($"invalid key {V("openai")}, got {Uri.EscapeDataString(V("openai"))}"));
    }

    [Fact]
    public void Fitted_replacements_keep_every_length()
    {
        var patterns = ReplacementPatterns.For(Secrets, "api.openai.com");
        var text = Encoding.UTF8.GetBytes("frame " + V("openai") + " " + B64(V("openai")));
        Assert.Equal(text.Length, patterns.CreateReplacer(fitted: true).ReplaceAll(text).Length);
    }
}
