using System.Text.Json;
using System.Text.Json.Nodes;

namespace HiveClient.Tests;

public class ConfigJsonTests
{
    private const string Full = """
        {"image":"hive/base","env":{"KEY":"value"},"secrets":{"ANTHROPIC_API_KEY":"anthropic-prod"},
         "fs":[{"backend":"local","mount":"/workspace","volume":"team-notes","origin":"/srv/data","acls":[{"path":"/workspace/**","access":"rw"}]}],
         "egress":[{"access":"allow","host":"api.github.com","ports":[443],"methods":["GET"],"paths":["/repos/**"],
                    "override":{"headers":{"X-Token":"t"},"query":{"api_key":"k"}}}],
         "ttl":1800,"resources":{"cpus":1.5,"memoryMb":1024,"pids":512}}
        """;

    [Fact]
    public void OmitsNullsWhenWriting()
    {
        Assert.Equal("{}", new SandboxConfig().ToJson());
        Assert.Equal("""{"env":{"GREETING":"héllo <b> & +1"}}""", new SandboxConfig { Env = new() { ["GREETING"] = "héllo <b> & +1" } }.ToJson());
        Assert.Equal("""{"image":"hive/base","ttl":0}""", new SandboxConfig { Image = "hive/base", Ttl = 0 }.ToJson());
        Assert.Equal("""{"fs":[{"backend":"local","mount":"/data","acls":[{"path":"/data/**","access":"ro"}]}],"egress":[{"access":"deny","host":"*","ports":[25]}]}""",
            new SandboxConfig { Fs = [new FsMount("/data", new AclRule("/data/**", "ro"))], Egress = [EgressRule.Deny("*", ports: [25])] }.ToJson());
    }

    [Fact]
    public void FullConfigRoundTrips()
    {
        var config = SandboxConfig.FromJson(Full);

        Assert.Equal("team-notes", config.Fs![0].Volume);
        Assert.Equal("k", config.Egress![0].Override!.Query!["api_key"]);
        Assert.Equal(1.5, config.Resources!.Cpus);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Full), JsonNode.Parse(config.ToJson())));
        Assert.Equal(config.ToJson(), config.Clone().ToJson());
        Assert.Equal(config.ToJson(), SandboxConfig.FromJson(config.ToJson(indented: true)).ToJson());
    }

    [Fact]
    public void ReadsTheAllowDenyShapeAsTheListDenyFirst()
    {
        var config = SandboxConfig.FromJson("""
            { "egress": { "allow": [ { "host": "api.github.com", "methods": ["GET"], "paths": ["/repos/*"] } ],
                          "deny":  [ { "host": "*.evil.com" } ] } }
            """);

        Assert.Equal("""{"egress":[{"access":"deny","host":"*.evil.com"},{"access":"allow","host":"api.github.com","methods":["GET"],"paths":["/repos/*"]}]}""", config.ToJson());
    }

    [Fact]
    public void FromAllowDenyFillsAccessAndLeavesTheInputAlone()
    {
        var mislabelled = new EgressRule { Host = "c.com", Access = "allow" };
        var list = EgressRules.FromAllowDeny([EgressRule.Allow("a.com"), new EgressRule { Host = "b.com" }], [mislabelled]);

        Assert.Equal([("deny", "c.com"), ("allow", "a.com"), ("allow", "b.com")], list.Select(r => (r.Access, r.Host)));
        Assert.Equal("allow", mislabelled.Access);
        Assert.Empty(EgressRules.FromAllowDeny(null, null));
    }

    [Fact]
    public void StrictParsingRejectsUnknownFieldsWithTheirPath()
    {
        var e = Assert.Throws<JsonException>(() => SandboxConfig.FromJson("""{"egress":[{"access":"allow"},{"access":"allow","hots":"x"}]}"""));
        Assert.Equal("$.egress[1].hots", e.Path);
        Assert.StartsWith("egress[1].hots: unknown field", e.Message);

        var top = Assert.Throws<JsonException>(() => SandboxConfig.FromJson("""{"imagee":"x"}"""));
        Assert.StartsWith("imagee: unknown field", top.Message);

        var shape = Assert.Throws<JsonException>(() => SandboxConfig.FromJson("""{"egress":{"allow":[{"host":"a","portz":[1]}]}}"""));
        Assert.StartsWith("egress.allow[0].portz: unknown field", shape.Message);

        var type = Assert.Throws<JsonException>(() => SandboxConfig.FromJson("""{"ttl":"soon"}"""));
        Assert.StartsWith("ttl: wrong type of value", type.Message);
    }

    [Fact]
    public void ResponsesWithFieldsThisClientDoesNotKnowAreRead()
    {
        var info = JsonSerializer.Deserialize<SandboxInfo>(
            """{"name":"b1","status":"running","config":{"image":"x","futureField":1},"url":"u","createdAt":"2025-05-01T10:00:00+02:00","other":true}""",
            HiveJson.Options)!;
        Assert.Equal("x", info.Config.Image);
        Assert.Equal(TimeSpan.FromHours(2), info.CreatedAt.Offset);
    }

    [Fact]
    public void FileEntryTimesAcceptStringsAndUnixNumbers()
    {
        var entries = JsonSerializer.Deserialize<List<FileEntry>>(
            """[{"name":"a","type":"file","size":3,"mtime":"2025-05-01T10:00:00Z"},{"name":"b","type":"dir","size":0,"mtime":1746093600},{"name":"c","type":"other","size":0}]""",
            HiveJson.Options)!;
        var t = new DateTimeOffset(2025, 5, 1, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal([t, t, null], entries.Select(e => e.Mtime));
        Assert.True(entries[1].IsDirectory);
    }

    [Fact]
    public void ExecCommandIsAStringOrAList()
    {
        Assert.Equal("""{"command":"echo hi"}""", HiveJson.Serialize(new ExecRequest { Command = "echo hi" }));
        Assert.Equal("""{"command":["echo","hi"],"timeoutMs":10}""", HiveJson.Serialize(new ExecRequest { Command = new[] { "echo", "hi" }, TimeoutMs = 10 }));
        Assert.Throws<ArgumentException>(() => new ExecRequest { Command = Array.Empty<string>() });
    }
}
