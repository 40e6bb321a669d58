using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HiveClient.Tests;

public class ErrorTests
{
    [Fact]
    public async Task ValidationProblemBecomesValidationExceptionWithFieldErrors()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapPut("/v1/sandboxes/{name}", (HttpContext ctx) =>
            TestDaemon.Problem(ctx, 400, "Invalid sandbox config", "The config has 2 invalid fields.",
                """[{"path":"egress[2].ports[0]","message":"must be 1-65535"},{"path":"fs[0].mount","message":"must be absolute"}]""")));
        using var conn = d.Connect();

        var e = await Assert.ThrowsAsync<HiveValidationException>(() => conn.GetOrCreateSandboxAsync("b1", new SandboxConfig()));

        Assert.Equal(400, e.Status);
        Assert.Equal("The config has 2 invalid fields.", e.Message);
        Assert.Equal(e.Message, e.Detail);
        Assert.Equal("Invalid sandbox config", e.Title);
        Assert.Equal("https://hive.dev/problems/400", e.Type);
        Assert.Equal([new HiveFieldError("egress[2].ports[0]", "must be 1-65535"), new HiveFieldError("fs[0].mount", "must be absolute")], e.Errors);
    }

    [Theory]
    [InlineData(404, typeof(HiveNotFoundException))]
    [InlineData(409, typeof(HiveConflictException))]
    [InlineData(422, typeof(HiveValidationException))]
    [InlineData(401, typeof(HiveAuthException))]
    [InlineData(403, typeof(HiveAuthException))]
    [InlineData(500, typeof(HiveException))]
    public async Task StatusMapsToExceptionType(int status, Type expected)
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/sandboxes/{name}", (HttpContext ctx) =>
            TestDaemon.Problem(ctx, status, "Nope", $"detail for {status}")));
        using var conn = d.Connect();

        var e = await Assert.ThrowsAnyAsync<HiveException>(() => conn.GetSandboxAsync("b1"));

        Assert.IsType(expected, e);
        Assert.Equal(status, e.Status);
        Assert.Equal($"detail for {status}", e.Message);
        Assert.Empty(e.Errors);
    }

    [Fact]
    public async Task ConflictOnApplyIsConflictException()
    {
        await using var d = await TestDaemon.StartAsync(app =>
        {
            app.MapGet("/v1/sandboxes/{name}", (HttpContext ctx, string name) => TestDaemon.Json(ctx, TestDaemon.SandboxJson(name)));
            app.MapPut("/v1/sandboxes/{name}/config", (HttpContext ctx) => TestDaemon.Problem(ctx, 409, "Apply in progress", "Another config apply is running on b1; retry when it finishes."));
        });
        using var conn = d.Connect();
        var sb = await conn.GetSandboxAsync("b1");

        var e = await Assert.ThrowsAsync<HiveConflictException>(() => sb.ApplyConfigAsync(new SandboxConfig()));
        Assert.Contains("retry", e.Message);
    }

    [Fact]
    public async Task NonProblemBodyStillGivesAMessage()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/sandboxes", (HttpContext ctx) =>
        {
            ctx.Response.StatusCode = 502;
            return ctx.Response.WriteAsync("upstream is down");
        }));
        using var conn = d.Connect();

        var e = await Assert.ThrowsAsync<HiveException>(() => conn.ListSandboxesAsync());
        Assert.Equal(502, e.Status);
        Assert.Equal("upstream is down", e.Message);
    }

    [Fact]
    public async Task UnauthorizedWithoutTokenSaysWhereTheTokenComesFrom()
    {
        await using var d = await TestDaemon.StartAsync(app => app.MapGet("/v1/sandboxes", (HttpContext ctx) =>
            TestDaemon.Problem(ctx, 401, "Unauthorized", "A bearer token is required.")));
        using var conn = d.Connect(token: null);

        var e = await Assert.ThrowsAsync<HiveAuthException>(() => conn.ListSandboxesAsync());
        Assert.StartsWith("A bearer token is required.", e.Message);
        Assert.Contains("HIVE_TOKEN", e.Message);
    }

    [Fact]
    public async Task ConnectionRefusedSaysTheDaemonIsNotRunning()
    {
        var port = FreePort();
        using var conn = new HiveConnection(new Uri($"http://127.0.0.1:{port}"), "t");

        var e = await Assert.ThrowsAsync<HiveUnavailableException>(() => conn.HealthAsync());

        Assert.Equal(0, e.Status);
        Assert.Contains($"not running at http://127.0.0.1:{port}", e.Message);
        Assert.Contains("hive up", e.Message);
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
