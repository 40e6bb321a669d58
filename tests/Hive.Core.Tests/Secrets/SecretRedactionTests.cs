using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class SecretRedactionTests
{
    [Theory]
    [InlineData(null, "****")]
    [InlineData("", "****")]
    [InlineData("a", "****")]
    [InlineData("abcd", "****")]
    [InlineData("abcdefgh", "****")]
    [InlineData("abcdefghijklmnopqrs", "****")] // 19
    [InlineData("abcdefghijklmnopqrst", "abcd****qrst")] // 20
    [InlineData("sk-ant-api03-abcdefghijklmnopqrstuvwxyz-AA", "sk-a****z-AA")]
    [InlineData("ghp_0123456789abcdefghijABCDEFGHIJ0123", "ghp_****0123")]
    [InlineData("short-key", "****")]
    [InlineData("12345678901234567890123456789012", "1234****9012")]
    public void Masks(string? value, string expected) => Assert.Equal(expected, SecretRedaction.Mask(value));

    [Theory]
    [MemberData(nameof(StandInTests.AllFormats), MemberType = typeof(StandInTests))]
    public void NeverShowsTheMiddle(string format, string prefix, string value)
    {
        _ = (format, prefix);
        var mask = SecretRedaction.Mask(value);
        Assert.Equal(value[..4] + "****" + value[^4..], mask);
        Assert.DoesNotContain(value[4..^4], mask, StringComparison.Ordinal);
        Assert.True(mask.Length - 4 <= 8);
    }

    [Fact]
    public void DoesNotSplitSurrogatePairs()
    {
        var value = "abc😀" + new string('x', 20) + "😀yz";
        var mask = SecretRedaction.Mask(value);
        Assert.Equal("abc****😀yz", mask);
        Assert.False(char.IsHighSurrogate(mask[^1]));
        foreach (var (c, i) in mask.Select((c, i) => (c, i)))
            if (char.IsHighSurrogate(c)) Assert.True(i + 1 < mask.Length && char.IsLowSurrogate(mask[i + 1]));
    }
}
