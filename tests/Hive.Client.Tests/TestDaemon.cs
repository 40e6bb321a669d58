using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HiveClient.Tests;

/// <summary>A real Kestrel server on loopback that plays the daemon's routes with canned answers.</summary>
internal sealed class TestDaemon : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestDaemon(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public int Port => Url.Port;

    public static async Task<TestDaemon> StartAsync(Action<WebApplication> routes, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        routes(app);
        await app.StartAsync();
        return new TestDaemon(app, new Uri(app.Urls.First()));
    }

    public HiveConnection Connect(string? token = "test-token") => new(Url, token);

    public async ValueTask DisposeAsync()
    {
        // Open event streams are cut rather than awaited.
        await _app.StopAsync(TimeSpan.FromMilliseconds(300));
        await _app.DisposeAsync();
    }

    public static Task Problem(HttpContext ctx, int status, string title, string detail, string? errorsJson = null)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/problem+json";
        var errors = errorsJson is null ? "" : $",\"errors\":{errorsJson}";
        return ctx.Response.WriteAsync($"{{\"type\":\"https://hive.dev/problems/{status}\",\"title\":\"{title}\",\"status\":{status},\"detail\":\"{detail}\"{errors}}}");
    }

    public static async Task Sse(HttpContext ctx, string text)
    {
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
        await ctx.Response.Body.FlushAsync();
    }

    public static string SandboxJson(string name, string status = "running", string url = "/sandboxes/{0}/", string config = "{}") =>
        $"{{\"name\":\"{name}\",\"status\":\"{status}\",\"image\":\"hive/base\",\"config\":{config},\"url\":\"{string.Format(url, name)}\",\"createdAt\":\"2025-05-01T10:00:00Z\"}}";

    public static Task Json(HttpContext ctx, string json, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(json);
    }
}
