using System.Reflection;
using Hive.Core.Secrets;
using static Hive.Core.Tests.Secrets.SubstitutionFixture;

namespace Hive.Core.Tests.Secrets;

public class NoLeakTests
{
    internal static void AssertNoValue(string? text)
    {
        if (text is null) return;
        foreach (var (name, value) in Values)
        {
            Assert.DoesNotContain(value, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(value), text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value)), text, StringComparison.Ordinal);
            // Not even a long piece of the middle.
            Assert.DoesNotContain(value[4..^4], text, StringComparison.Ordinal);
            _ = name;
        }
    }

    /// <summary>Every result of a broad set of requests, plus the objects that hold values.</summary>
    private static IEnumerable<object> Objects()
    {
        foreach (var row in SecretSubstitutionTests.Forwarded())
            yield return Substitution.Apply((string)row[0], Headers((string)row[1]), Expand((string?)row[2]), Expand((string?)row[3]));
        foreach (var row in SecretSubstitutionTests.Denied())
            yield return Substitution.Apply((string)row[0], Headers((string)row[1]), Expand((string?)row[2]), Expand((string?)row[3]));
        foreach (var binding in Bindings) { yield return binding; yield return binding.Secret; yield return binding.Secret.Auth; yield return binding.Secret.Hosts; }
        yield return Substitution;
        yield return new StandInMatcher([.. Values.Values]);
    }

    [Fact]
    public void NoToStringShowsAValue()
    {
        var count = 0;
        foreach (var o in Objects())
        {
            AssertNoValue(o.ToString());
            count++;
        }
        Assert.True(count > 100);
    }

    [Fact]
    public void EveryResultTypeCarriesItsOwnToString()
    {
        var types = typeof(SubstitutionResult).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(SubstitutionResult).Namespace && t.IsClass && !t.IsAbstract && !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)))
            .Where(t => !(t.IsAbstract && t.IsSealed)) // static classes
            .ToList();
        Assert.Contains(typeof(SubstitutionResult.Forward), types);
        Assert.Contains(typeof(SubstitutionResult.Misuse), types);
        Assert.Contains(typeof(SubstitutionResult.Revoked), types);
        Assert.Contains(typeof(SecretBinding), types);
        foreach (var type in types.Where(t => t.IsPublic || t.IsNestedPublic))
        {
            var toString = type.GetMethod(nameof(ToString), BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)!;
            Assert.True(toString.DeclaringType == type, $"{type.Name} must declare ToString so that no value can slip into it");
        }
    }

    [Fact]
    public void NoPublicMemberOfABindingReturnsTheValue()
    {
        foreach (var binding in Bindings)
            foreach (var property in typeof(SecretBinding).GetProperties(BindingFlags.Public | BindingFlags.Instance))
                if (property.PropertyType == typeof(string))
                    AssertNoValue((string?)property.GetValue(binding));
    }

    [Fact]
    public void ForwardResultsShowOnlyNames()
    {
        var result = Substitution.Apply("api.openai.com", [], null);
        Assert.Equal("forward (secrets used: openai; injected: openai)", result.ToString());
        Assert.Equal("forward (no secrets)", Substitution.Apply("example.org", [], null).ToString());
    }

    [Theory]
    [InlineData("value\nwith-line-break-0123456789")]
    [InlineData("value\rwith-cr-0123456789")]
    [InlineData("value\0with-nul-0123456789")]
    public void BindingErrorsDoNotQuoteTheValue(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => new SecretBinding("stand-in-0123456789", SecretSamples.Provider("openai"), value));
        Assert.DoesNotContain(value, e.ToString(), StringComparison.Ordinal);
        Assert.Contains("openai", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABindingRefusesAStandInEqualToTheValue()
    {
        const string value = "sk-equal-0123456789abcdefghij";
        var e = Assert.Throws<ArgumentException>(() => new SecretBinding(value, SecretSamples.Provider("openai"), value));
        Assert.DoesNotContain(value, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void DefinitionErrorsNeverQuoteInput()
    {
        const string host = "sk-live-abcdefghijklmnop0123456789 .example.com";
        Assert.False(new SecretDefinition("k", Hosts: [host], Auth: SecretAuth.Bearer).TryResolve(out _, out var errors));
        Assert.All(errors, e => Assert.DoesNotContain("abcdefghijklmnop", e.ToString(), StringComparison.Ordinal));
    }
}
