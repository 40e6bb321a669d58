using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HiveClient.Tests;

public sealed class EnvironmentTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("hive-client-test-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        key => vars.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void DefaultsToLoopback9000()
    {
        using var c = HiveConnection.FromEnvironment(Env(("HIVE_HOME", _home)));
        Assert.Equal("http://127.0.0.1:9000/", c.BaseUrl.AbsoluteUri);
        Assert.False(c.HasToken);
    }

    [Fact]
    public void HiveUrlWinsOverHiveListen()
    {
        using var c = HiveConnection.FromEnvironment(Env(("HIVE_URL", "http://hive.internal:8123/prefix"), ("HIVE_LISTEN", "127.0.0.1:9999")));
        Assert.Equal("http://hive.internal:8123/prefix/", c.BaseUrl.AbsoluteUri);
        Assert.Equal("http://hive.internal:8123/prefix", c.DisplayUrl);
    }

    [Theory]
    [InlineData("127.0.0.1:9100", "http://127.0.0.1:9100/")]
    [InlineData("0.0.0.0:9100", "http://127.0.0.1:9100/")]
    [InlineData(":9100", "http://127.0.0.1:9100/")]
    [InlineData("[::]:9100", "http://[::1]:9100/")]
    [InlineData("localhost:9200", "http://localhost:9200/")]
    public void HiveListenBecomesTheUrl(string listen, string url)
    {
        using var c = HiveConnection.FromEnvironment(Env(("HIVE_HOME", _home), ("HIVE_LISTEN", listen)));
        Assert.Equal(url, c.BaseUrl.AbsoluteUri);
    }

    [Fact]
    public void DaemonJsonListenIsUsedWhenNoVariableIsSet()
    {
        File.WriteAllText(Path.Combine(_home, "daemon.json"), """
            { "listen": "127.0.0.1:9300", // comment
              "subnet": "10.201.0.0/16" }
            """);
        using var c = HiveConnection.FromEnvironment(Env(("HIVE_HOME", _home)));
        Assert.Equal("http://127.0.0.1:9300/", c.BaseUrl.AbsoluteUri);
    }

    [Fact]
    public void BadHiveUrlIsAnError()
    {
        var e = Assert.Throws<HiveException>(() => HiveConnection.FromEnvironment(Env(("HIVE_URL", "127.0.0.1:9000"))));
        Assert.Contains("HIVE_URL", e.Message);
    }

    [Fact]
    public async Task TokenFromHiveTokenThenFromTheTokenFileEvenIfWrittenLater()
    {
        var seen = new List<string?>();
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/sandboxes", (HttpContext ctx) =>
        {
            lock (seen) seen.Add(ctx.Request.Headers.Authorization.FirstOrDefault());
            return TestDaemon.Json(ctx, "[]");
        }));

        using (var fromVar = HiveConnection.FromEnvironment(Env(("HIVE_URL", d.Url.AbsoluteUri), ("HIVE_TOKEN", "from-env"), ("HIVE_HOME", _home))))
            await fromVar.ListSandboxesAsync();

        using var fromFile = HiveConnection.FromEnvironment(Env(("HIVE_URL", d.Url.AbsoluteUri), ("HIVE_HOME", _home)));
        await fromFile.ListSandboxesAsync();
        // The daemon writes the token at its first start, possibly after this connection was made.
        File.WriteAllText(Path.Combine(_home, "token"), "from-file\n");
        await fromFile.ListSandboxesAsync();

        Assert.Equal(["Bearer from-env", null, "Bearer from-file"], seen);
    }
}
