using Hive.Core.Config;

namespace Hive.Remote.Tests;

internal static class Sandboxes
{
    public static SandboxConfig Config(string json = "{}", string name = "sb1")
    {
        var parsed = ConfigParser.Parse(json, name);
        Assert.True(parsed.Ok, string.Join("; ", parsed.Errors));
        return parsed.Config!;
    }

    public static HostedSandbox Hosted(string name = "sb1", string json = "{}") => new(name, Config(json, name));

    /// <summary>A config with something in every part that crosses the wire (env, egress with overrides, resources).</summary>
    public const string Rich = """
        {
          "env": { "A": "1", "B": "two words" },
          "egress": [
            { "access": "allow", "host": "api.example.com", "ports": [443], "methods": ["GET", "POST"], "paths": ["/v1/**"],
              "override": { "headers": { "X-Key": "real-value" } } },
            { "access": "ask", "host": "*.example.org" }
          ],
          "egressDefault": "ask",
          "askTimeout": 30,
          "ttl": 600,
          "resources": { "cpus": 2, "memoryMb": 1024, "pids": 256 }
        }
        """;
}
