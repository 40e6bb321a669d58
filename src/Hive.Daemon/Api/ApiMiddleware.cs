using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hive.Daemon.Api;

/// <summary>Bearer-token auth and problem+json errors for every route.</summary>
public static class ApiMiddleware
{
    public static void UseProblems(this WebApplication app, ILogger log) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) request.Body = new ClientBodyStream(request.Body);
        try
        {
            await next(context);
            // Routing's 404 and 405, and binding's 400, come without a body: every error answers problem+json.
            var r = context.Response;
            if (!r.HasStarted && r.StatusCode >= 400 && r.ContentLength is null && string.IsNullOrEmpty(r.ContentType))
                await WriteAsync(context, r.StatusCode, ApiErrors.Title(r.StatusCode), ApiErrors.Detail(context.Request, r.StatusCode), null);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var (status, title, detail, errors) = ApiErrors.Classify(e);
            if (status >= 500) log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await WriteAsync(context, status, title, detail, errors?.Select(x => (x.Path, x.Message)));
        }
    });

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail, IEnumerable<(string Path, string Message)>? errors)
    {
        var body = new JsonObject
        {
            ["type"] = $"https://hive.dev/problems/{status}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors is not null)
        {
            var list = new JsonArray();
            foreach (var (p, m) in errors) list.Add(new JsonObject { ["path"] = p, ["message"] = m });
            body["errors"] = list;
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        await context.Response.WriteAsync(body.ToJsonString());
    }
}
