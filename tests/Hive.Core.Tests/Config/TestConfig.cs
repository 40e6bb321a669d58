using Hive.Core.Config;

namespace Hive.Core.Tests.Config;

/// <summary>Helpers for config tests. JSON is written with ' for " to keep the tables readable.</summary>
internal static class TestConfig
{
    public const string Box = "box1";

    public static string J(string json) => json.Replace('\'', '"');

    public static SandboxConfig Ok(string json, string sandbox = Box)
    {
        var result = ConfigParser.Parse(J(json), sandbox);
        Assert.True(result.Ok, "unexpected errors:\n" + string.Join("\n", result.Errors));
        Assert.Empty(result.Errors);
        return result.Config!;
    }

    public static IReadOnlyList<ConfigError> Errors(string json)
    {
        var result = ConfigParser.Parse(J(json), Box);
        Assert.False(result.Ok, "expected errors, got a config");
        Assert.Null(result.Config);
        Assert.NotEmpty(result.Errors);
        return result.Errors;
    }

    /// <summary>Asserts an error at exactly <paramref name="path"/> whose message contains <paramref name="message"/>.</summary>
    public static void AssertError(IReadOnlyList<ConfigError> errors, string path, string message)
    {
        Assert.True(
            errors.Any(e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal)),
            $"expected \"{path}: ...{message}...\", got:\n" + string.Join("\n", errors));
    }
}
