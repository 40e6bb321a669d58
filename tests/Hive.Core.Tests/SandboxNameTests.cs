namespace Hive.Core.Tests;

public class SandboxNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("box1")]
    [InlineData("My_Box-2")]
    [InlineData("a-")]
    [InlineData("a_")]
    public void Valid(string name) => Assert.True(SandboxName.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData("-a")]
    [InlineData("_a")]
    [InlineData("a.b")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("bäck")]
    [InlineData("a\n")]
    [InlineData(null)]
    public void Invalid(string? name) => Assert.False(SandboxName.IsValid(name));

    [Fact]
    public void LengthLimitIs63()
    {
        Assert.True(SandboxName.IsValid(new string('a', 63)));
        Assert.False(SandboxName.IsValid(new string('a', 64)));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("box1")]
    [InlineData("-a")]
    [InlineData("a.b")]
    [InlineData("bäck")]
    [InlineData("a\n")]
    [InlineData("A_b-9")]
    public void AgreesWithThePattern(string name) =>
        Assert.Equal(System.Text.RegularExpressions.Regex.IsMatch(name, SandboxName.Pattern.Replace("$", @"\z")), SandboxName.IsValid(name));
}
