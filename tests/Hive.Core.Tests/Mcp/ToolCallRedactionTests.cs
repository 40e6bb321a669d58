using System.Text.Json.Nodes;
using Hive.Core.Config;
using Hive.Core.Events;

namespace Hive.Core.Tests.Mcp;

public sealed class ToolCallRedactionTests
{
    private static SandboxConfig Config(string json)
    {
        var parsed = ConfigParser.Parse(System.Text.Encoding.UTF8.GetBytes(json), "t");
        Assert.True(parsed.Ok, string.Join("; ", parsed.Errors.Select(e => e.Message)));
        return parsed.Config!;
    }

    [Fact]
    public void Override_values_and_credential_named_env_values_are_secrets()
    {
        var c = Config("""
            { "env": { "OPENAI_API_KEY": "sk-live-abcdef123456", "GITHUB_TOKEN": "ghp_0123456789", "MODE": "production", "PASSWORD": "x" },
              "egress": [ { "access": "allow", "host": "api.example.com", "override": { "headers": { "X-Token": "hdr-secret-value" }, "query": { "key": "query-secret" } } } ] }
            """);
        var secrets = ToolCallRedaction.SecretValues(c, ["vault-value-1"]);
        Assert.Equal(new[] { "sk-live-abcdef123456", "hdr-secret-value", "ghp_0123456789", "query-secret", "vault-value-1" }.OrderBy(s => s), secrets.OrderBy(s => s));
        Assert.DoesNotContain("production", secrets);
        Assert.DoesNotContain("x", secrets); // too short to hunt for in free text
        Assert.True(secrets[0].Length >= secrets[^1].Length, "longest first");
    }

    [Fact]
    public void Secrets_are_replaced_everywhere_in_the_arguments_and_credential_named_arguments_hidden()
    {
        var args = new JsonObject
        {
            ["command"] = "curl -H 'Authorization: Bearer sk-live-abcdef123456' https://x",
            ["nested"] = new JsonArray("a sk-live-abcdef123456 b", 5, true, new JsonObject { ["deep"] = "sk-live-abcdef123456" }),
            ["apiKey"] = "something-not-known",
            ["timeout"] = 1000,
        };
        var redacted = ToolCallRedaction.Redact(args, ["sk-live-abcdef123456"])!.ToJsonString();
        Assert.DoesNotContain("sk-live", redacted);
        Assert.DoesNotContain("something-not-known", redacted);
        Assert.Contains("Bearer ***", redacted);
        Assert.Contains("\"timeout\":1000", redacted);
        Assert.Contains("sk-live", args.ToJsonString()); // the original is untouched
    }

    [Fact]
    public void Long_strings_are_cut_after_replacing_so_a_cut_never_splits_a_secret()
    {
        var secret = "SECRET-VALUE-0123456789";
        var text = new string('a', 95) + secret + new string('b', 50);
        var cut = ToolCallRedaction.Text(text, [secret], maxString: 100);
        Assert.DoesNotContain("SECRET", cut);
        Assert.EndsWith("… [148 characters]", cut);
        Assert.Equal("short", ToolCallRedaction.Text("short", [secret], 100));
    }
}
