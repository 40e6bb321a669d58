using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hive.Daemon.Api;

/// <summary>
/// Event streams end when the daemon stops. Kestrel's graceful shutdown waits for open requests, and a followed event
/// stream (an Inspector tab, <c>hive events -f</c>) never ends by itself: without this, one open browser tab held the
/// daemon's exit for about 20 seconds. Other requests still finish as before.
/// </summary>
public static class StreamShutdown
{
    public static void UseStreamShutdown(this WebApplication app)
    {
        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        app.Use(async (context, next) =>
        {
            if (!IsStream(context.Request))
            {
                await next(context);
                return;
            }
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            context.RequestAborted = linked.Token;
            await next(context);
        });
    }

    private static bool IsStream(HttpRequest r) =>
        r.Path.Value?.EndsWith("/terminal", StringComparison.Ordinal) == true ||
        HttpMethods.IsGet(r.Method)
        && (r.Path.Value?.EndsWith("/events", StringComparison.Ordinal) == true || Sse.Wanted(r))
        && r.Query["follow"].ToString() is not ("false" or "0");
}
