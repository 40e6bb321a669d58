using System.Text;
using System.Text.Json;
using Hive.Core.Config;
using Hive.Core.Llm;
using Hive.Core.Secrets;
using Hive.Core.Tests.Secrets;

namespace Hive.Core.Tests.Llm;

/// <summary>What of a model call's body is stored: real secret values (any host's, any encoding) become stand-ins, override values ***, and the cut comes last.</summary>
public class LlmBodyRedactionTests
{
    private const string OverrideValue = "org-override-value-1234567";
    private static readonly EgressRule[] Rules =
    [
        new() { Access = EgressAccess.Allow, Host = "api.openai.com", Override = new() { Headers = new Dictionary<string, string> { ["OpenAI-Organization"] = OverrideValue }, Query = new Dictionary<string, string>() } },
        new() { Access = EgressAccess.Allow, Host = "x.test", Override = new() { Headers = new Dictionary<string, string> { ["X-Short"] = "on" }, Query = new Dictionary<string, string>() } },
    ];

    private static readonly LlmBodyRedaction.Redactor Redactor = new([SubstitutionFixture.Substitution], Rules);

    private static LlmBody Keep(string text, bool cut = false) =>
        LlmBodyRedaction.Keep(Encoding.UTF8.GetBytes(text), cut, "application/json", Encoding.UTF8.GetByteCount(text), Redactor);

    public static TheoryData<string> Forms => new()
    {
        "{0}",
        "{{\"api_key\":{json}}}",
        "?key={e}",
        "Basic {b64}",
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Every_real_value_of_every_bound_secret_becomes_its_stand_in_whatever_the_host(string form)
    {
        foreach (var name in new[] { "openai", "anthropic", "github", "maps", "pay" })
        {
            var (value, standIn) = (SubstitutionFixture.Values[name], SubstitutionFixture.StandInOf(name));
            string Render(string v) => form.Replace("{0}", v).Replace("{json}", JsonSerializer.Serialize(v)).Replace("{e}", Uri.EscapeDataString(v))
                .Replace("{b64}", Convert.ToBase64String(Encoding.UTF8.GetBytes(v + ":"))).Replace("{{", "{").Replace("}}", "}");
            var kept = Keep($"the agent pasted {Render(value)} into its prompt");
            Assert.DoesNotContain(value, kept.Text);
            Assert.DoesNotContain(Uri.EscapeDataString(value), kept.Text);
            Assert.Contains(Render(standIn), kept.Text);
        }
    }

    [Fact]
    public void Override_values_become_stars_raw_and_encoded_but_short_ones_are_not_hunted()
    {
        var kept = Keep($"a {OverrideValue} b {Uri.EscapeDataString(OverrideValue + "/x")} c on");
        Assert.DoesNotContain(OverrideValue, kept.Text);
        Assert.Equal("a *** b ***%2Fx c on", kept.Text);
    }

    [Fact]
    public void The_cut_comes_after_the_replacement_so_no_half_value_is_kept()
    {
        var value = SubstitutionFixture.Values["anthropic"];
        // The value straddles the 1 MiB cut: replaced whole first, then cut inside its stand-in (never inside the value).
        var text = new string('x', LlmBodyRedaction.MaxStoredBytes - 30) + value + new string('y', 100);
        var kept = Keep(text);
        Assert.True(kept.Truncated);
        Assert.Equal(LlmBodyRedaction.MaxStoredBytes, Encoding.UTF8.GetByteCount(kept.Text));
        Assert.EndsWith(SubstitutionFixture.StandInOf("anthropic")[..30], kept.Text);
        Assert.DoesNotContain(value[..30], kept.Text);
    }

    [Fact]
    public void Small_bodies_are_whole_and_a_cut_capture_is_flagged()
    {
        var whole = Keep("{\"model\":\"m\"}");
        Assert.Equal(("{\"model\":\"m\"}", false, 13L, "application/json"), (whole.Text, whole.Truncated, whole.Bytes, whole.ContentType));
        Assert.True(Keep("{\"model\":", cut: true).Truncated);
    }

    [Fact]
    public void Capture_beyond_the_margin_is_not_decoded_and_multibyte_text_is_cut_on_a_character()
    {
        var big = Encoding.UTF8.GetBytes(new string('é', LlmBodyRedaction.MaxCaptured)); // 2 bytes each
        var kept = LlmBodyRedaction.Keep(big, false, null, big.Length, Redactor);
        Assert.True(kept.Truncated);
        Assert.Equal(LlmBodyRedaction.MaxStoredBytes / 2, kept.Text.Length);
        Assert.Equal("ab", LlmBodyRedaction.CutToBytes("ab\U0001F600", 5)); // the emoji's 4 bytes do not fit in 3
        Assert.Equal("ab\U0001F600", LlmBodyRedaction.CutToBytes("ab\U0001F600", 6));
    }

    [Fact]
    public void Rotated_tables_are_both_redacted()
    {
        var old = SubstitutionFixture.Substitution;
        var rotated = new SecretSubstitution([new SecretBinding(SubstitutionFixture.StandInOf("openai"), SubstitutionFixture.Secrets["openai"], "sk-proj-rotatedvalue0123456789abcdef")]);
        var redactor = new LlmBodyRedaction.Redactor([old, rotated], []);
        var text = redactor.Redact($"{SubstitutionFixture.Values["openai"]} then sk-proj-rotatedvalue0123456789abcdef");
        Assert.Equal($"{SubstitutionFixture.StandInOf("openai")} then {SubstitutionFixture.StandInOf("openai")}", text);
        Assert.Equal("plain text", new LlmBodyRedaction.Redactor([], []).Redact("plain text"));
    }
}
