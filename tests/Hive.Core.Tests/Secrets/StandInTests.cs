using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class StandInTests
{
    private static readonly byte[] Key = SecretSamples.Key;

    public static TheoryData<string, string, string> AllFormats()
    {
        var data = new TheoryData<string, string, string>();
        for (var seed = 0; seed < 300; seed += 100)
            foreach (var (format, prefix, value) in SecretSamples.Formats(seed)) data.Add($"{format}#{seed}", prefix, value);
        return data;
    }

    private static bool IsHex(string text, string alphabet) =>
        text.Length >= 16 && text.All(alphabet.Contains) && text.Any(char.IsAsciiDigit) && text.Any(char.IsAsciiLetter);

    internal static void AssertShape(string value, string prefix, string standIn)
    {
        Assert.Equal(value.Length, standIn.Length);
        Assert.StartsWith(prefix, standIn, StringComparison.Ordinal);
        var rest = value[prefix.Length..];
        var hexLower = IsHex(rest, SecretSamples.HexLower);
        var hexUpper = !hexLower && IsHex(rest, SecretSamples.HexUpper);
        for (var i = prefix.Length; i < value.Length; i++)
        {
            char v = value[i], s = standIn[i];
            if (hexLower) Assert.Contains(s, SecretSamples.HexLower);
            else if (hexUpper) Assert.Contains(s, SecretSamples.HexUpper);
            else if (char.IsAsciiDigit(v)) Assert.True(char.IsAsciiDigit(s), $"position {i}: digit expected");
            else if (char.IsAsciiLetterLower(v)) Assert.True(char.IsAsciiLetterLower(s), $"position {i}: lower-case letter expected");
            else if (char.IsAsciiLetterUpper(v)) Assert.True(char.IsAsciiLetterUpper(s), $"position {i}: upper-case letter expected");
            else Assert.Equal(v, s);
        }
    }

    [Theory]
    [MemberData(nameof(AllFormats))]
    public void KeepsPrefixLengthAndAlphabet(string format, string prefix, string value)
    {
        Assert.NotEmpty(format);
        Assert.Equal(prefix, StandIn.PrefixOf(value));
        Assert.True(StandIn.IsShaped(value));
        var standIn = StandIn.Create(value, "sandbox-1", "key", Key);
        AssertShape(value, prefix, standIn);
        Assert.NotEqual(value, standIn);
    }

    [Theory]
    [MemberData(nameof(AllFormats))]
    public void IsDeterministicPerSandboxSecretAndKey(string format, string prefix, string value)
    {
        _ = (format, prefix);
        Assert.Equal(StandIn.Create(value, "s", "n", Key), StandIn.Create(value, "s", "n", Key));
        Assert.Equal(StandIn.Create(value, "s", "n", Key), StandIn.Create(value, "s", "n", (byte[])Key.Clone()));
        Assert.NotEqual(StandIn.Create(value, "s", "n", Key), StandIn.Create(value, "s2", "n", Key));
        Assert.NotEqual(StandIn.Create(value, "s", "n", Key), StandIn.Create(value, "s", "n2", Key));
        Assert.NotEqual(StandIn.Create(value, "s", "n", Key), StandIn.Create(value, "s", "n", SecretSamples.OtherKey));
    }

    [Theory]
    [MemberData(nameof(AllFormats))]
    public void RandomPartDoesNotDependOnTheValuesCharacters(string format, string prefix, string value)
    {
        _ = format;
        // Same shape, other characters: the same stand-in (a stand-in reveals the shape, nothing else).
        var sameShape = new string([.. value.Select((c, i) => i < prefix.Length ? c
            : char.IsAsciiDigit(c) ? (c == '0' ? '1' : '0')
            : char.IsAsciiLetterLower(c) && !IsHex(value[prefix.Length..], SecretSamples.HexLower) ? (c == 'x' ? 'y' : 'x')
            : char.IsAsciiLetterUpper(c) && !IsHex(value[prefix.Length..], SecretSamples.HexUpper) ? (c == 'X' ? 'Y' : 'X')
            : c)]);
        Assert.Equal(StandIn.Create(value, "s", "n", Key), StandIn.Create(sameShape, "s", "n", Key));
    }

    [Fact]
    public void IsUniqueAcrossManySandboxesAndSecrets()
    {
        var value = "sk-ant-api03-" + SecretSamples.Random(SecretSamples.UrlSafe, 93, 1) + "AA";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var s = 0; s < 100; s++)
            for (var n = 0; n < 20; n++)
                Assert.True(seen.Add(StandIn.Create(value, $"sandbox-{s}", $"secret-{n}", Key)));
        Assert.DoesNotContain(value, seen);
    }

    [Theory]
    [InlineData("ab", "c")]
    [InlineData("a", "bc")]
    [InlineData("", "abc")]
    [InlineData("abc", "")]
    public void SandboxAndSecretBoundariesAreUnambiguous(string sandbox, string secret)
    {
        var value = SecretSamples.Random(SecretSamples.Alnum, 40, 3);
        Assert.NotEqual(StandIn.Create(value, sandbox, secret, Key), StandIn.Create(value, sandbox + secret[..Math.Min(1, secret.Length)], secret.Length > 0 ? secret[1..] : "x", Key));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("1234")]
    [InlineData("x")]
    [InlineData("sk-abc")]
    [InlineData("ghp_1234567890")]
    [InlineData("----------------------------------------")]
    [InlineData("0123456789012345678")] // 19 digits: 63 bits
    [InlineData("deadbeefdeadbeef")] // 16 hex: 64 bits
    [InlineData("a-b-c-d-e-f-g-h-i-j-k")]
    [InlineData("pässwört-ünïcödé-välüé")]
    public void LowEntropyShapesGetTheFallbackForm(string value)
    {
        Assert.False(StandIn.IsShaped(value));
        var standIn = StandIn.Create(value, "s", "n", Key);
        Assert.StartsWith(StandIn.FallbackPrefix, standIn, StringComparison.Ordinal);
        Assert.Equal(StandIn.FallbackPrefix.Length + StandIn.FallbackRandomLength, standIn.Length);
        Assert.All(standIn[StandIn.FallbackPrefix.Length..], c => Assert.True(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)));
        Assert.NotEqual(value, standIn);
        Assert.Equal(standIn, StandIn.Create(value, "s", "n", Key));
        Assert.NotEqual(standIn, StandIn.Create(value, "s", "other", Key));
    }

    [Theory]
    [InlineData("sk-ant-api03-x", "sk-ant-api03-")]
    [InlineData("sk-ant-api03-", "sk-ant-")] // a prefix alone is no prefix
    [InlineData("sk-ant-oat01-abc", "sk-ant-oat01-")]
    [InlineData("sk-ant-xyz", "sk-ant-")]
    [InlineData("sk-proj-abc", "sk-proj-")]
    [InlineData("sk-or-v1-abc", "sk-or-v1-")]
    [InlineData("sk-abc", "sk-")]
    [InlineData("sk-", "")]
    [InlineData("SK-abc", "")]
    [InlineData("ghp_abc", "ghp_")]
    [InlineData("gho_abc", "gho_")]
    [InlineData("ghs_abc", "ghs_")]
    [InlineData("ghu_abc", "ghu_")]
    [InlineData("ghr_abc", "ghr_")]
    [InlineData("github_pat_abc", "github_pat_")]
    [InlineData("AIzaSyabc", "AIza")]
    [InlineData("aiza123", "")]
    [InlineData("xai-abc", "xai-")]
    [InlineData("gsk_abc", "gsk_")]
    [InlineData("abc", "")]
    [InlineData("x-sk-abc", "")]
    public void KnowsThePrefixes(string value, string prefix) => Assert.Equal(prefix, StandIn.PrefixOf(value));

    [Fact]
    public void KeepsNonAsciiAndPunctuationInPlace()
    {
        var value = "key/" + SecretSamples.Random(SecretSamples.Alnum, 30, 9) + "+é=ü~" + SecretSamples.Random(SecretSamples.Alnum, 10, 10);
        var standIn = StandIn.Create(value, "s", "n", Key);
        AssertShape(value, "", standIn);
        Assert.Equal('/', standIn[3]);
        Assert.Equal("+é=ü~", standIn.Substring(34, 5));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => StandIn.Create("", "s", "n", Key));
        Assert.Throws<ArgumentException>(() => StandIn.Create("value-value-value-value", "s", "n", new byte[8]));
        Assert.Throws<ArgumentNullException>(() => StandIn.Create(null!, "s", "n", Key));
        Assert.Throws<ArgumentNullException>(() => StandIn.Create("v", null!, "n", Key));
        Assert.Throws<ArgumentNullException>(() => StandIn.Create("v", "s", null!, Key));
    }

    [Fact]
    public void NoExceptionMessageQuotesTheValue()
    {
        const string value = "sk-super-secret-value-0123456789";
        var e = Assert.Throws<ArgumentException>(() => StandIn.Create(value, "s", "n", new byte[3]));
        Assert.DoesNotContain(value, e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllFormats))]
    public void CarriesEnoughEntropy(string format, string prefix, string value)
    {
        _ = (format, prefix);
        Assert.True(StandIn.ShapedEntropyBits(value) >= StandIn.MinEntropyBits);
    }

    [Fact]
    public void StandInsOfOneShapeSpreadOverTheAlphabet()
    {
        // Every digit and letter turns up at a position across many sandboxes: the sampling is not stuck.
        var value = "ghp_" + SecretSamples.Random(SecretSamples.Alnum, 36, 5);
        var lowerPosition = value.IndexOf(value.Skip(4).First(char.IsAsciiLetterLower), 4);
        var seen = new HashSet<char>();
        for (var s = 0; s < 2000; s++) seen.Add(StandIn.Create(value, $"s{s}", "n", Key)[lowerPosition]);
        Assert.Equal(26, seen.Count);
    }
}
