using System.Security.Cryptography;
using System.Text;
using Hive.Daemon.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hive.Daemon.Inspector;

/// <summary>
/// Who may call the daemon: the bearer token (API clients), or an Inspector session cookie — and then every mutating
/// call must echo the session's CSRF token in <c>X-CSRF-Token</c>. Replaces the bearer-only check.
/// </summary>
public static class InspectorAuth
{
    public const string CookieName = "hive_session";
    public const string CsrfHeader = "X-CSRF-Token";
    private const string SessionItem = "hive.inspector.session";

    public static void UseInspectorAuth(this WebApplication app, string token, InspectorSessions sessions)
    {
        var expected = Encoding.UTF8.GetBytes("Bearer " + token);
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            var path = request.Path;
            if (path.StartsWithSegments("/v1/health") || path.StartsWithSegments("/openapi") || path.Equals(InspectorEndpoints.LoginPath))
            {
                await next(context);
                return;
            }
            var given = Encoding.UTF8.GetBytes(request.Headers.Authorization.ToString());
            if (CryptographicOperations.FixedTimeEquals(given, expected))
            {
                await next(context);
                return;
            }
            // sandbox.url serves whatever the sandbox answers: under the Inspector's cookie, a sandbox's page would run
            // with the Inspector's rights (same origin). It stays bearer-only.
            var session = path.StartsWithSegments("/sandboxes") ? null : sessions.Find(request.Cookies[CookieName]);
            if (session is not null)
            {
                if (IsMutating(request.Method) && !InspectorSessions.CsrfMatches(session, request.Headers[CsrfHeader].FirstOrDefault()))
                {
                    await ApiMiddleware.WriteAsync(context, 403, "Forbidden",
                        $"missing or wrong {CsrfHeader} header: a call with the Inspector's session cookie must send the csrfToken from GET /v1/session", null);
                    return;
                }
                // A WebSocket is not bound by CORS, and SameSite lets any page on this host (another port is the same site)
                // send the cookie: the browser's Origin must be the Inspector's own, and the CSRF token comes in the query.
                if (context.WebSockets.IsWebSocketRequest && (!SameOrigin(request) || !InspectorSessions.CsrfMatches(session, request.Query["csrf"].FirstOrDefault())))
                {
                    await ApiMiddleware.WriteAsync(context, 403, "Forbidden",
                        "a WebSocket with the Inspector's session cookie must come from the Inspector's own origin and send ?csrf=<csrfToken from GET /v1/session>", null);
                    return;
                }
                context.Items[SessionItem] = session;
                await next(context);
                return;
            }
            if (IsPage(request))
            {
                context.Response.Redirect(InspectorEndpoints.LoginPath);
                return;
            }
            await ApiMiddleware.WriteAsync(context, 401, "Unauthorized",
                "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the token from $HIVE_HOME/token (or set HIVE_TOKEN); in a browser, log in with the link `hive inspector` prints", null);
        });
    }

    public static InspectorSession? Session(HttpContext context) => context.Items[SessionItem] as InspectorSession;

    public static bool IsMutating(string method) => !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));

    /// <summary>The Origin header names this daemon as the request reached it (scheme and Host).</summary>
    public static bool SameOrigin(HttpRequest r) =>
        r.Headers.Origin.FirstOrDefault() is { } origin
        && string.Equals(origin, $"{r.Scheme}://{r.Host.Value}", StringComparison.OrdinalIgnoreCase);

    // A browser asking for a page (not the API, not sandbox.url) is sent to the login page instead of a JSON 401.
    private static bool IsPage(HttpRequest r) =>
        (HttpMethods.IsGet(r.Method) || HttpMethods.IsHead(r.Method))
        && !r.Path.StartsWithSegments("/v1") && !r.Path.StartsWithSegments("/sandboxes");
}
