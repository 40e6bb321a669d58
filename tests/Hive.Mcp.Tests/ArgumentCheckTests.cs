using System.Text.Json;

namespace Hive.Mcp.Tests;

public sealed class ArgumentCheckTests
{
    private static readonly JsonElement Schema = JsonDocument.Parse("""
        { "type": "object", "required": ["path"],
          "properties": { "path": { "type": "string" }, "offset": { "type": ["integer", "null"] },
                          "all": { "type": "boolean" }, "ignore": { "type": ["array", "null"], "items": { "type": "string" } } } }
        """).RootElement;

    private static string? Check(string json) =>
        ArgumentCheck.Problem(Schema, JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json));

    [Theory]
    [InlineData("""{ "path": "/a" }""")]
    [InlineData("""{ "path": "/a", "offset": 3, "all": true, "ignore": ["*.log"] }""")]
    [InlineData("""{ "path": "/a", "offset": null, "ignore": null }""")]
    [InlineData("""{ "path": "/a", "description": "extra arguments are ignored" }""")]
    public void Fitting_arguments_pass(string json) => Assert.Null(Check(json));

    [Theory]
    [InlineData("""{ }""", "path is required")]
    [InlineData("""{ "path": null }""", "path is required")]
    [InlineData("""{ "path": 5 }""", "path must be a string, not an integer")]
    [InlineData("""{ "path": "/a", "offset": "x" }""", "offset must be an integer, not a string")]
    [InlineData("""{ "path": "/a", "offset": 1.5 }""", "offset must be an integer, not a number")]
    [InlineData("""{ "path": "/a", "all": "yes" }""", "all must be a boolean, not a string")]
    [InlineData("""{ "path": "/a", "ignore": "*.log" }""", "ignore must be an array, not a string")]
    [InlineData("""{ "path": "/a", "ignore": ["ok", 3] }""", "ignore must be an array of strings, but holds an integer")]
    public void Problems_name_the_argument(string json, string expected) => Assert.Equal(expected, Check(json));

    [Fact]
    public void No_arguments_at_all_only_fail_required_ones() =>
        Assert.Equal("path is required", ArgumentCheck.Problem(Schema, null));
}
