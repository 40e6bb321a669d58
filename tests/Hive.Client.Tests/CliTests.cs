using System.Text.Json.Nodes;
using Hive.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HiveClient.Tests;

public class CliTests
{
    private sealed record Run(int Exit, string Out, string Err);

    private static async Task<Run> HiveWithInput(TestDaemon? daemon, string stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var ctx = new CliContext
        {
            Out = o,
            Err = e,
            In = new StringReader(stdin),
            InputRedirected = stdin.Length > 0,
            Connect = () => daemon?.Connect() ?? new HiveConnection(new Uri($"http://127.0.0.1:{ErrorTests.FreePort()}"), "t"),
        };
        var exit = await HiveCli.RunAsync(args, ctx, CancellationToken.None);
        return new Run(exit, o.ToString(), e.ToString());
    }

    private static Task<Run> Hive(TestDaemon? daemon, params string[] args) => HiveWithInput(daemon, "", args);

    [Fact]
    public async Task HelpListsTheCommandsAndExitsZero()
    {
        var r = await Hive(null, "--help");

        Assert.Equal(0, r.Exit);
        foreach (var c in new[] { "up", "down", "status", "daemon", "run", "sandbox", "config", "exec", "events", "secret", "image" })
            Assert.Contains($"\n  {c} ", r.Out);
    }

    [Theory]
    [InlineData("sandbox", "create")]
    [InlineData("exec")]
    [InlineData("events")]
    [InlineData("image", "build")]
    public async Task EveryOptionOfACommandHasADescription(params string[] command)
    {
        var r = await Hive(null, [.. command, "--help"]);
        Assert.Equal(0, r.Exit);
        var options = r.Out[r.Out.IndexOf("Options:", StringComparison.Ordinal)..].Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1);
        Assert.All(options, line => Assert.Matches(@"^\s+\S.*\s{2,}\S", line));
    }

    [Fact]
    public async Task UsageErrorsExitTwo()
    {
        var unknown = await Hive(null, "frobnicate");
        var missing = await Hive(null, "exec");
        var badEnv = await Hive(null, "exec", "b1", "-e", "NOEQUALS", "--", "true");

        Assert.Equal((2, 2, 2), (unknown.Exit, missing.Exit, badEnv.Exit));
        Assert.Contains("error: Unrecognized command or argument 'frobnicate'", unknown.Err);
        Assert.Contains("hive exec --help", missing.Err);
        Assert.Contains("KEY=VALUE", badEnv.Err);
    }

    [Fact]
    public async Task StatusWithoutADaemonExitsThree()
    {
        var r = await Hive(null, "status", "--json");
        Assert.Equal(3, r.Exit);
        Assert.False((bool)JsonNode.Parse(r.Out)!["running"]!);
    }

    [Fact]
    public async Task DaemonDownIsOneErrorLine()
    {
        var r = await Hive(null, "sandbox", "ls");
        Assert.Equal(1, r.Exit);
        Assert.StartsWith("error: The Hive daemon is not running at http://127.0.0.1:", r.Err);
        Assert.Contains("hive up", r.Err);
    }

    [Fact]
    public async Task SandboxLsPrintsATableOrJson()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/sandboxes", (HttpContext ctx) =>
            TestDaemon.Json(ctx, "[" + TestDaemon.SandboxJson("alpha") + "," + TestDaemon.SandboxJson("beta", "stopped") + "]")));

        var table = await Hive(d, "sandbox", "ls");
        var json = await Hive(d, "sandbox", "ls", "--json");

        Assert.Equal(0, table.Exit);
        Assert.DoesNotContain("\x1b", table.Out);
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches("^NAME +STATUS +IMAGE +CREATED +URL$", lines[0]);
        Assert.Matches($"^alpha +running +hive/base +\\d+ days? ago +{d.Url}sandboxes/alpha/$", lines[1]);
        var array = JsonNode.Parse(json.Out)!.AsArray();
        Assert.Equal(["alpha", "beta"], array.Select(s => (string)s!["name"]!));
    }

    [Fact]
    public async Task CreateBuildsTheConfigFromFileAndFlags()
    {
        string? body = null;
        await using var d = await TestDaemon.StartAsync(app => app.MapPut("/v1/sandboxes/{name}", async (HttpContext ctx, string name) =>
        {
            body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
            await TestDaemon.Json(ctx, TestDaemon.SandboxJson(name, "creating"), 201);
        }));
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"ttl":60,"egress":{"deny":[{"host":"*.evil.com"}]}}""");
            var r = await Hive(d, "sandbox", "create", "b1", "-f", file, "--allow", "api.github.com", "--allow", "pypi.org", "--mount", "/data", "--image", "hive/minimal");

            Assert.Equal(0, r.Exit);
            Assert.Contains("Created sandbox b1.", r.Out);
            Assert.Contains("status: creating", r.Out);
            Assert.Equal("""{"image":"hive/minimal","fs":[{"backend":"local","mount":"/data"}],"egress":[{"access":"deny","host":"*.evil.com"},{"access":"allow","host":"api.github.com"},{"access":"allow","host":"pypi.org"}],"ttl":60}""", body);

            File.WriteAllText(file, """{"egres":[]}""");
            var bad = await Hive(d, "sandbox", "create", "b2", "-f", file);
            Assert.Equal(1, bad.Exit);
            Assert.Contains("egres", bad.Err);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task FieldErrorsArePrintedUnderTheDetail()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapPut("/v1/sandboxes/{name}", (HttpContext ctx) =>
            TestDaemon.Problem(ctx, 400, "Invalid", "The config is invalid.", """[{"path":"egress[0].host","message":"must not be empty"}]""")));

        var r = await Hive(d, "sandbox", "create", "b1", "--allow", "");

        Assert.Equal(1, r.Exit);
        Assert.Equal("error: The config is invalid.\n  egress[0].host: must not be empty\n", r.Err.Replace("\r\n", "\n"));
    }

    [Fact]
    public async Task ExecStreamsBothStreamsPassesStdinAndExitsWithTheCommandsCode()
    {
        string? body = null;
        await using var d = await TestDaemon.StartAsync(app =>
        {
            app.MapGet("/v1/sandboxes/{name}", (HttpContext ctx, string name) => TestDaemon.Json(ctx, TestDaemon.SandboxJson(name)));
            app.MapPost("/v1/sandboxes/{name}/exec", async (HttpContext ctx) =>
            {
                body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
                ctx.Response.ContentType = "text/event-stream";
                await TestDaemon.Sse(ctx, "event: stdout\ndata: {\"data\":\"hello\\n\"}\n\nevent: stderr\ndata: {\"data\":\"oops\\n\"}\n\n");
                await TestDaemon.Sse(ctx, "event: exit\ndata: {\"exitCode\":42,\"durationMs\":5,\"timedOut\":false}\n\n");
            });
        });

        var r = await HiveWithInput(d, "piped input", "exec", "b1", "--cwd", "/tmp", "-e", "A=1", "-e", "B=x=y", "--", "sh", "-c", "cat; exit 42");

        Assert.Equal(42, r.Exit);
        Assert.Equal("hello\n", r.Out);
        Assert.Equal("oops\n", r.Err);
        Assert.Equal("""{"command":["sh","-c","cat; exit 42"],"cwd":"/tmp","env":{"A":"1","B":"x=y"},"stdin":"piped input"}""", body);
    }

    [Fact]
    public async Task EventsPrintsOneLinePerEventOrJsonLines()
    {
        var queries = new List<string?>();
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/events", (HttpContext ctx) =>
        {
            lock (queries) queries.Add(ctx.Request.QueryString.Value);
            return TestDaemon.Json(ctx, """[{"id":7,"ts":"2025-05-01T10:00:00Z","sandbox":"b1","type":"egress.request","access":"denied","host":"evil.com","path":"/a b","rule":null}]""");
        }));

        var text = await Hive(d, "events", "--type", "egress.*", "--type", "dns.query", "--limit", "5");
        var json = await Hive(d, "events", "--json");

        Assert.Equal(0, text.Exit);
        Assert.Equal(["?types=egress.%2A%2Cdns.query&follow=false&limit=5", "?follow=false"], queries);
        Assert.Matches(@"^#7  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000  b1  egress.request  access=denied host=evil.com path='/a b' rule=null\n$", text.Out.Replace("\r\n", "\n"));
        Assert.Equal("denied", (string)JsonNode.Parse(json.Out)!["access"]!);
    }

    [Fact]
    public async Task RunCreatesExecsShowsEventsAndRemoves()
    {
        var calls = new List<string>();
        string? created = null;
        await using var d = await TestDaemon.StartAsync(app =>
        {
            app.MapPut("/v1/sandboxes/{name}", async (HttpContext ctx, string name) =>
            {
                created = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
                lock (calls) calls.Add("PUT " + name);
                await TestDaemon.Json(ctx, TestDaemon.SandboxJson(name, "running"), 201);
            });
            app.MapPost("/v1/sandboxes/{name}/exec", async (HttpContext ctx, string name) =>
            {
                lock (calls) calls.Add("EXEC " + name);
                ctx.Response.ContentType = "text/event-stream";
                await TestDaemon.Sse(ctx, "event: stdout\ndata: {\"data\":\"hi\\n\"}\n\nevent: exit\ndata: {\"exitCode\":3,\"durationMs\":5,\"timedOut\":false}\n\n");
            });
            app.MapGet("/v1/sandboxes/{name}/events", (HttpContext ctx, string name) => TestDaemon.Json(ctx,
                "[" + $$"""{"id":1,"ts":"2025-05-01T10:00:00Z","sandbox":"{{name}}","type":"exec.request","command":["sh","-c","echo hi"]}""" + "," +
                $$"""{"id":2,"ts":"2025-05-01T10:00:01Z","sandbox":"{{name}}","type":"egress.request","access":"denied","host":"evil.com","port":443,"method":"TLS","path":null,"reason":"no rule matches"}""" + "]"));
            app.MapDelete("/v1/sandboxes/{name}", (HttpContext ctx, string name) => { lock (calls) calls.Add("DELETE " + name); ctx.Response.StatusCode = 204; });
        });

        var r = await Hive(d, "run", "--allow", "pypi.org", "--", "sh", "-c", "echo hi");

        Assert.Equal(3, r.Exit);
        Assert.Equal("hi\n", r.Out);
        var name = calls[0]["PUT ".Length..];
        Assert.Matches("^run-[a-z0-9]{8}$", name);
        Assert.Equal(["PUT " + name, "EXEC " + name, "DELETE " + name], calls);
        Assert.Equal("""{"egress":[{"access":"allow","host":"pypi.org"}]}""", created);
        var err = r.Err.Replace("\r\n", "\n");
        Assert.Matches(@"\d\d:\d\d:\d\d\.000  exec.request      sh -c echo hi\n", err);
        Assert.Matches(@"\d\d:\d\d:\d\d\.000  egress.request    denied TLS evil.com:443 \(no rule matches\)\n", err);
    }

    [Fact]
    public async Task ConfigPrintsAndApplies()
    {
        string? applied = null;
        await using var d = await TestDaemon.StartAsync(app =>
        {
            app.MapGet("/v1/sandboxes/{name}", (HttpContext ctx, string name) => TestDaemon.Json(ctx, TestDaemon.SandboxJson(name)));
            app.MapGet("/v1/sandboxes/{name}/config", (HttpContext ctx) => TestDaemon.Json(ctx, """{"image":"hive/base","ttl":0}"""));
            app.MapPut("/v1/sandboxes/{name}/config", async (HttpContext ctx) =>
            {
                applied = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
                await TestDaemon.Json(ctx, $$"""{"applied":true,"config":{{applied}},"changes":["ttl: 0 -> 60"],"warnings":["a warning"]}""");
            });
        });

        var shown = await Hive(d, "config", "b1");
        var result = await HiveWithInput(d, """{"image":"hive/base","ttl":60}""", "config", "b1", "--apply", "-");

        Assert.Equal(0, shown.Exit);
        Assert.Equal("{\n  \"image\": \"hive/base\",\n  \"ttl\": 0\n}\n", shown.Out.Replace("\r\n", "\n"));
        Assert.Equal(0, result.Exit);
        Assert.Equal("""{"image":"hive/base","ttl":60}""", applied);
        Assert.Equal("Applied 1 change to b1:\n  ttl: 0 -> 60\n", result.Out.Replace("\r\n", "\n"));
        Assert.Equal("warning: a warning\n", result.Err.Replace("\r\n", "\n"));
    }
}
