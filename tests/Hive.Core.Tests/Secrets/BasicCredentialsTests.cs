using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class BasicCredentialsTests
{
    [Theory]
    [InlineData("Basic dXNlcjpwYXNz", "user:pass")]
    [InlineData("basic dXNlcjpwYXNz", "user:pass")]
    [InlineData("BASIC dXNlcjpwYXNz", "user:pass")]
    [InlineData("  Basic dXNlcjpwYXNz  ", "user:pass")]
    [InlineData("Basic   dXNlcjpwYXNz", "user:pass")]
    [InlineData("Basic dXNlcjpwYXM", "user:pas")] // no padding
    [InlineData("Basic dXNlcjpwYQ", "user:pa")] // no padding
    [InlineData("Basic w6k6w7w=", "é:ü")]
    [InlineData("Basic Og==", ":")]
    public void Decodes(string header, string expected)
    {
        Assert.True(SecretSubstitution.TryDecodeBasic(header, out var credentials));
        Assert.Equal(expected, credentials);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Basic")]
    [InlineData("Basic ")]
    [InlineData("Bearer dXNlcjpwYXNz")]
    [InlineData("Basicx dXNlcjpwYXNz")]
    [InlineData("Basic !!!")]
    [InlineData("Basic dXNlcjpwYXNz=")]
    [InlineData("Basic d")]
    [InlineData("Basic //8=")] // not UTF-8
    [InlineData("Digest username=\"u\"")]
    public void RefusesOtherValues(string header) => Assert.False(SecretSubstitution.TryDecodeBasic(header, out _));
}
