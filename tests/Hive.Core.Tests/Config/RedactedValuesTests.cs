using Hive.Core.Config;

namespace Hive.Core.Tests.Config;

public class RedactedValuesTests
{
    private static SandboxConfig Parse(string json) => ConfigParser.Parse(json, "box").Config!;

    private const string Current = """
        { "egress": [ { "access": "allow", "host": "api.example.test", "override": { "headers": { "X-Token": "real-secret" }, "query": { "key": "q-secret" } } } ] }
        """;

    [Fact]
    public void Placeholder_keeps_the_value_in_force()
    {
        var current = Parse(Current);
        var redacted = Parse(ConfigJson.Serialize(current, redact: true));
        var (restored, errors) = RedactedValues.Restore(current, redacted);
        Assert.Empty(errors);
        Assert.Equal("real-secret", restored.Egress[0].Override!.Headers["X-Token"]);
        Assert.Equal("q-secret", restored.Egress[0].Override!.Query["key"]);
        Assert.Equal(current, restored);
    }

    [Fact]
    public void Placeholder_follows_its_rule_when_rules_are_reordered()
    {
        var current = Parse(Current);
        var proposed = Parse("""
            { "egress": [ { "access": "allow", "host": "other.test" },
                          { "access": "allow", "host": "api.example.test", "override": { "headers": { "X-Token": "***" } } } ] }
            """);
        var (restored, errors) = RedactedValues.Restore(current, proposed);
        Assert.Empty(errors);
        Assert.Equal("real-secret", restored.Egress[1].Override!.Headers["X-Token"]);
    }

    [Theory]
    [InlineData("""{ "egress": [ { "access": "allow", "host": "evil.test", "override": { "headers": { "X-Token": "***" } } } ] }""", "egress[0].override.headers[\"X-Token\"]")]
    [InlineData("""{ "egress": [ { "access": "allow", "host": "api.example.test", "override": { "headers": { "X-Other": "***" } } } ] }""", "egress[0].override.headers[\"X-Other\"]")]
    [InlineData("""{ "egress": [ { "access": "allow", "host": "api.example.test", "override": { "query": { "nope": "***" } } } ] }""", "egress[0].override.query[\"nope\"]")]
    public void Placeholder_without_a_value_to_keep_is_an_error_and_cannot_borrow_another_hosts_value(string json, string path)
    {
        var (_, errors) = RedactedValues.Restore(Parse(Current), Parse(json));
        var e = Assert.Single(errors);
        Assert.Equal(path, e.Path);
        Assert.DoesNotContain("real-secret", e.Message);
    }

    [Fact]
    public void New_real_values_replace_old_ones()
    {
        var proposed = Parse("""{ "egress": [ { "access": "allow", "host": "api.example.test", "override": { "headers": { "X-Token": "rotated" } } } ] }""");
        var (restored, errors) = RedactedValues.Restore(Parse(Current), proposed);
        Assert.Empty(errors);
        Assert.Equal("rotated", restored.Egress[0].Override!.Headers["X-Token"]);
    }
}
