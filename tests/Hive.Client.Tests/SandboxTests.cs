using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace HiveClient.Tests;

public class SandboxTests
{
    [Fact]
    public async Task SendsTheBearerTokenButHealthWorksWithout()
    {
        var auth = new ConcurrentQueue<string?>();
        await using var d = await TestDaemon.StartAsync(app =>
        {
            app.MapGet("/v1/health", (HttpContext ctx) => TestDaemon.Json(ctx, """{"status":"ok","version":"0.1.0"}"""));
            app.MapGet("/v1/sandboxes", (HttpContext ctx) =>
            {
                auth.Enqueue(ctx.Request.Headers.Authorization.FirstOrDefault());
                return TestDaemon.Json(ctx, "[" + TestDaemon.SandboxJson("a") + "," + TestDaemon.SandboxJson("b", "stopped") + "]");
            });
        });
        using var conn = d.Connect("s3cret");

        var health = await conn.HealthAsync();
        var list = await conn.ListSandboxesAsync();

        Assert.Equal(("ok", "0.1.0"), (health.Status, health.Version));
        Assert.Equal(["a", "b"], list.Select(s => s.Name));
        Assert.Equal("stopped", list[1].Status);
        Assert.Equal(["Bearer s3cret"], auth);
    }

    [Fact]
    public async Task GetOrCreateSendsConfigWithoutNullsAndReportsCreation()
    {
        var bodies = new ConcurrentQueue<string>();
        var created = false;
        await using var d = await TestDaemon.StartAsync(app => app.MapPut("/v1/sandboxes/{name}", async (HttpContext ctx, string name) =>
        {
            bodies.Enqueue(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            var status = created ? 200 : 201;
            created = true;
            await TestDaemon.Json(ctx, TestDaemon.SandboxJson(name, "creating", config: """{"image":"hive/base","egress":[{"access":"allow","host":"api.github.com"}]}"""), status);
        }));
        using var conn = d.Connect();
        var config = new SandboxConfig { Egress = [EgressRule.Allow("api.github.com")] };

        var first = await conn.GetOrCreateSandboxAsync("b1", config);
        var again = await conn.GetOrCreateSandboxAsync("b1");

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal("creating", first.Status);
        Assert.Equal("hive/base", first.Image);
        Assert.Equal("api.github.com", first.Config.Egress![0].Host);
        Assert.Equal(new DateTimeOffset(2025, 5, 1, 10, 0, 0, TimeSpan.Zero), first.CreatedAt);
        // The daemon's relative url is made absolute against the daemon's address.
        Assert.Equal(new Uri(d.Url, "/sandboxes/b1/").AbsoluteUri, first.Url);
        Assert.Equal(["""{"egress":[{"access":"allow","host":"api.github.com"}]}""", "{}"], bodies);
    }

    [Fact]
    public async Task StaticHiveClassUsesTheDefaultConnection()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapPut("/v1/sandboxes/{name}", (HttpContext ctx, string name) =>
            TestDaemon.Json(ctx, TestDaemon.SandboxJson(name, url: "http://daemon.example/sandboxes/{0}/"), 201)));
        var previous = Hive.Default;
        Hive.Default = d.Connect();
        try
        {
            var sb = await Hive.GetOrCreateSandboxAsync("my-sandbox", new SandboxConfig { Image = "hive/base" });
            Assert.Equal("my-sandbox", sb.Name);
            Assert.Equal("http://daemon.example/sandboxes/my-sandbox/", sb.Url);
        }
        finally
        {
            Hive.Default = previous;
        }
    }

    [Fact]
    public async Task GetConfigApplyConfigRefreshAndDelete()
    {
        var deleted = new ConcurrentQueue<string>();
        string? applied = null;
        await using var d = await TestDaemon.StartAsync(app =>
        {
            app.MapGet("/v1/sandboxes/{name}", (HttpContext ctx, string name) => TestDaemon.Json(ctx, TestDaemon.SandboxJson(name, applied is null ? "creating" : "running")));
            app.MapGet("/v1/sandboxes/{name}/config", (HttpContext ctx) => TestDaemon.Json(ctx,
                """{"image":"hive/base","egress":[{"access":"allow","host":"api.finnhub.io","override":{"headers":{"X-Finnhub-Token":"***"}}}],"ttl":0}"""));
            app.MapPut("/v1/sandboxes/{name}/config", async (HttpContext ctx) =>
            {
                applied = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
                await TestDaemon.Json(ctx, $$"""{"applied":true,"config":{{applied}},"changes":["egress[0]: added allow api.anthropic.com"],"warnings":["ttl 0: the sandbox never stops"]}""");
            });
            app.MapDelete("/v1/sandboxes/{name}", (HttpContext ctx, string name) => { deleted.Enqueue(name); ctx.Response.StatusCode = 204; });
        });
        using var conn = d.Connect();
        var sb = await conn.GetSandboxAsync("b1");
        Assert.Equal("creating", sb.Status);

        var config = await sb.GetConfigAsync();
        Assert.Equal("***", config.Egress![0].Override!.Headers!["X-Finnhub-Token"]);
        config.Egress = [EgressRule.Allow("api.anthropic.com")];
        var result = await sb.ApplyConfigAsync(config);
        Assert.Equal("api.anthropic.com", sb.Config.Egress![0].Host);
        await sb.RefreshAsync();
        await sb.DeleteAsync();

        Assert.True(result.Applied);
        Assert.Equal(["egress[0]: added allow api.anthropic.com"], result.Changes);
        Assert.Equal(["ttl 0: the sandbox never stops"], result.Warnings);
        Assert.Equal("""{"image":"hive/base","egress":[{"access":"allow","host":"api.anthropic.com"}],"ttl":0}""", applied);
        Assert.Equal("running", sb.Status);
        Assert.Equal(["b1"], deleted);
    }

    private static Sandbox Sb(HiveConnection conn, string name = "b1") => new(conn, new SandboxInfo { Name = name }, created: false);

    [Fact]
    public async Task ExecSendsArgvOrShellStringAndReadsTheResult()
    {
        var bodies = new ConcurrentQueue<string>();
        await using var d = await TestDaemon.StartAsync(app => app.MapPost("/v1/sandboxes/{name}/exec", async (HttpContext ctx) =>
        {
            bodies.Enqueue(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            await TestDaemon.Json(ctx, """{"exitCode":3,"stdout":"out\n","stderr":"err\n","durationMs":12,"timedOut":false}""");
        }));
        using var conn = d.Connect();
        var sb = Sb(conn);

        var r = await sb.ExecAsync(["sh", "-c", "exit 3"], cwd: "/workspace", env: new() { ["A"] = "1" }, stdin: "in", timeoutMs: 5000);
        await sb.ExecAsync("ls -la | wc -l");

        Assert.Equal((3, "out\n", "err\n", 12L, false), (r.ExitCode, r.Stdout, r.Stderr, r.DurationMs, r.TimedOut));
        Assert.Equal(
            ["""{"command":["sh","-c","exit 3"],"cwd":"/workspace","env":{"A":"1"},"stdin":"in","timeoutMs":5000}""", """{"command":"ls -la | wc -l"}"""],
            bodies);
    }

    [Fact]
    public async Task ExecStreamYieldsFramesInOrderAsTheyArrive()
    {
        string? accept = null;
        var release = new TaskCompletionSource();
        await using var d = await TestDaemon.StartAsync(app => app.MapPost("/v1/sandboxes/{name}/exec", async (HttpContext ctx) =>
        {
            accept = ctx.Request.Headers.Accept.ToString();
            ctx.Response.ContentType = "text/event-stream";
            await TestDaemon.Sse(ctx, "event: stdout\ndata: {\"data\":\"one\\n\"}\n\n");
            await release.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await TestDaemon.Sse(ctx, ": keep-alive\n\nevent: stderr\ndata: {\"data\":\"warn\\n\"}\n\nevent: stdout\ndata: {\"data\":\"two\"}\n\n");
            await TestDaemon.Sse(ctx, "event: exit\ndata: {\"exitCode\":7,\"durationMs\":40,\"timedOut\":false}\n\n");
        }));
        using var conn = d.Connect();

        var frames = new List<ExecFrame>();
        await foreach (var f in Sb(conn).ExecStreamAsync(["sh", "-c", "..."]))
        {
            frames.Add(f);
            // The first chunk arrives before the server has written the rest.
            if (frames.Count == 1) release.SetResult();
        }

        Assert.Equal("text/event-stream", accept);
        Assert.Equal(
            [new ExecFrame(ExecFrameKind.Stdout, "one\n"), new ExecFrame(ExecFrameKind.Stderr, "warn\n"), new ExecFrame(ExecFrameKind.Stdout, "two"),
             new ExecFrame(ExecFrameKind.Exit, null, 7, 40, false)],
            frames);
    }

    [Fact]
    public async Task ExecStreamEndingWithoutExitIsAnError()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapPost("/v1/sandboxes/{name}/exec", async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await TestDaemon.Sse(ctx, "event: stdout\ndata: {\"data\":\"x\"}\n\n");
        }));
        using var conn = d.Connect();
        await Assert.ThrowsAsync<HiveException>(async () =>
        {
            await foreach (var _ in Sb(conn).ExecStreamAsync("true")) { }
        });
    }

    [Fact]
    public async Task FilesEncodePathsAndMoveBytes()
    {
        var files = new ConcurrentDictionary<string, byte[]>();
        var raw = new ConcurrentQueue<string>();
        await using var d = await TestDaemon.StartAsync(app => app.Map("/v1/sandboxes/{name}/files/{**path}", async (HttpContext ctx, string path) =>
        {
            raw.Enqueue(ctx.Request.Method + " " + ctx.Features.Get<IHttpRequestFeature>()!.RawTarget);
            var key = "/" + path;
            switch (ctx.Request.Method)
            {
                case "PUT":
                    using (var ms = new MemoryStream())
                    {
                        await ctx.Request.Body.CopyToAsync(ms);
                        files[key] = ms.ToArray();
                    }
                    ctx.Response.StatusCode = 204;
                    break;
                case "DELETE":
                    ctx.Response.StatusCode = files.TryRemove(key, out _) ? 204 : 404;
                    break;
                default:
                    if (files.TryGetValue(key, out var bytes))
                    {
                        ctx.Response.ContentType = "application/octet-stream";
                        await ctx.Response.Body.WriteAsync(bytes);
                    }
                    else if (files.Keys.Any(k => k.StartsWith(key + "/", StringComparison.Ordinal)))
                    {
                        var entries = new JsonArray();
                        foreach (var (k, v) in files.Where(f => f.Key.StartsWith(key + "/", StringComparison.Ordinal)))
                            entries.Add(new JsonObject { ["name"] = k[(key.Length + 1)..], ["type"] = "file", ["size"] = v.Length, ["mtime"] = "2025-05-01T10:00:00Z" });
                        await TestDaemon.Json(ctx, entries.ToJsonString());
                    }
                    else await TestDaemon.Problem(ctx, 404, "Not found", $"No file {key} in sandbox b1.");
                    break;
            }
        }));
        using var conn = d.Connect();
        var fs = Sb(conn).Files;

        await fs.WriteAsync("/workspace/dir with space/a#b?.txt", "héllo");
        await fs.WriteAsync("/workspace/dir with space/bin", new byte[] { 0, 1, 2, 255 });
        using (var s = new MemoryStream(Encoding.UTF8.GetBytes("streamed"))) await fs.WriteAsync("/workspace/s.txt", s);

        Assert.Equal("héllo", await fs.ReadTextAsync("/workspace/dir with space/a#b?.txt"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, await fs.ReadAsync("/workspace/dir with space/bin"));
        using (var r = new StreamReader(await fs.OpenReadAsync("/workspace/s.txt"))) Assert.Equal("streamed", await r.ReadToEndAsync());
        var list = await fs.ListAsync("/workspace/dir with space");
        Assert.Equal(["a#b?.txt", "bin"], list.Select(e => e.Name).Order());
        Assert.Equal(new DateTimeOffset(2025, 5, 1, 10, 0, 0, TimeSpan.Zero), list[0].Mtime);
        await Assert.ThrowsAsync<HiveException>(() => fs.ListAsync("/workspace/s.txt"));
        await Assert.ThrowsAsync<HiveException>(() => fs.ReadAsync("/workspace/dir with space"));
        await fs.DeleteAsync("/workspace/s.txt");
        await Assert.ThrowsAsync<HiveNotFoundException>(() => fs.ReadAsync("/workspace/s.txt"));

        Assert.Contains("PUT /v1/sandboxes/b1/files/workspace/dir%20with%20space/a%23b%3F.txt", raw);
        Assert.Contains("DELETE /v1/sandboxes/b1/files/workspace/s.txt", raw);
    }
}
