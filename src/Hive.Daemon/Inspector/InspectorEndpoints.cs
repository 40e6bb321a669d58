using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Hive.Daemon.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Inspector;

/// <summary>The Inspector: its pages and assets, the one-time login, and the session routes of the API.</summary>
public static class InspectorEndpoints
{
    public const string LoginPath = "/login";

    // The app's own files only: no inline script, no other origin, never framed.
    private const string PageCsp = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private const string LoginCsp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void MapInspector(this IEndpointRouteBuilder app, InspectorSessions sessions, InspectorAssets assets)
    {
        app.MapPost("/v1/login-codes", (HttpContext c) =>
        {
            if (InspectorAuth.Session(c) is not null)
                throw new ApiProblem(403, "Forbidden", "login codes are minted with the bearer token (hive inspector), not from a browser session");
            var (code, expires) = sessions.CreateCode();
            var body = new JsonObject
            {
                ["code"] = code,
                ["path"] = $"{LoginPath}?code={code}",
                ["expiresAt"] = Time(expires),
            };
            return Results.Text(body.ToJsonString(), "application/json", statusCode: 201);
        }).WithTags("Inspector").WithSummary("A one-time Inspector login code (bearer token only): open path in a browser within 5 minutes");

        app.MapGet("/v1/session", (HttpContext c) =>
        {
            var body = InspectorAuth.Session(c) is { } s
                ? new JsonObject { ["auth"] = "session", ["csrfToken"] = s.CsrfToken, ["expiresAt"] = Time(s.ExpiresAt) }
                : new JsonObject { ["auth"] = "token" };
            var r = Results.Text(body.ToJsonString(), "application/json");
            c.Response.Headers.CacheControl = "no-store";
            return r;
        }).WithTags("Inspector").WithSummary("How this call was authenticated; for an Inspector session, the CSRF token its mutating calls must send");

        app.MapDelete("/v1/session", (HttpContext c) =>
        {
            if (InspectorAuth.Session(c) is { } s) sessions.End(s);
            c.Response.Cookies.Delete(InspectorAuth.CookieName, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict });
            return Results.NoContent();
        }).WithTags("Inspector").WithSummary("Log this Inspector session out");

        app.MapGet(LoginPath, (HttpContext c) =>
        {
            c.Response.Headers.CacheControl = "no-store";
            c.Response.Headers.ContentSecurityPolicy = LoginCsp;
            c.Response.Headers["Referrer-Policy"] = "no-referrer";
            var code = c.Request.Query["code"].ToString();
            if (code.Length == 0)
                return Html(200, "Log in to the Hive Inspector", "Run <code>hive inspector</code> on the daemon's host and open the link it prints.");
            var redeemed = sessions.Redeem(code);
            if (redeemed is not { } login)
                return Html(401, "This login link is used or expired",
                    "A link works once, within 5 minutes. Run <code>hive inspector</code> again for a new one.");
            c.Response.Cookies.Append(InspectorAuth.CookieName, login.Cookie, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                MaxAge = sessions.SessionLifetime,
            });
            return Results.Redirect("/", permanent: false, preserveMethod: false);
        }).ExcludeFromDescription();

        app.MapGet("/", (HttpContext c) =>
        {
            if (assets.Directory is null)
                return Html(503, "The Inspector is not built", $"No web assets next to the daemon (nor in ${InspectorAssets.DirectoryVariable}): run <code>make build</code>.");
            SecurityHeaders(c, PageCsp);
            c.Response.Headers.CacheControl = "no-store";
            return Results.File(Path.Combine(assets.Directory, "index.html"), "text/html; charset=utf-8");
        }).ExcludeFromDescription();

        app.MapGet("/assets/{name}", (string name, HttpContext c) =>
        {
            if (assets.Asset(name) is not { } file) return Results.NotFound();
            SecurityHeaders(c, PageCsp);
            c.Response.Headers.CacheControl = "no-cache";
            return Results.File(file, InspectorAssets.ContentType(file));
        }).ExcludeFromDescription();
    }

    private static void SecurityHeaders(HttpContext c, string csp)
    {
        c.Response.Headers.ContentSecurityPolicy = csp;
        c.Response.Headers.XContentTypeOptions = "nosniff";
        c.Response.Headers.XFrameOptions = "DENY";
        c.Response.Headers["Referrer-Policy"] = "no-referrer";
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static IResult Html(int status, string title, string htmlMessage) => Results.Content($$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>{{WebUtility.HtmlEncode(title)}} · Hive</title>
        <style>
        :root { color-scheme: light dark; font: 15px/1.5 system-ui, sans-serif; }
        body { max-width: 36rem; margin: 15vh auto; padding: 0 1rem; }
        code { font: 14px ui-monospace, monospace; padding: .1rem .3rem; border-radius: 4px; background: color-mix(in srgb, currentColor 12%, transparent); }
        h1 { font-size: 1.3rem; }
        </style></head>
        <body><h1>{{WebUtility.HtmlEncode(title)}}</h1><p>{{htmlMessage}}</p></body></html>
        """, "text/html; charset=utf-8", statusCode: status);
}
