using Hive.Core.Config;
using Microsoft.AspNetCore.Http;

namespace Hive.Daemon.Api;

/// <summary>Which problem an exception or a bodiless status answers with.</summary>
public static class ApiErrors
{
    public static (int Status, string Title, string Detail, IReadOnlyList<ConfigError>? Errors) Classify(Exception e) => e switch
    {
        ApiProblem p => (p.Status, p.Title, p.Message, p.Errors),
        HostException h => (Status(h.Kind), h.Title, h.Message, h.Errors),
        // Kestrel's own: a malformed chunk size, a body past MaxRequestBodySize (413), a body cut short.
        BadHttpRequestException b => (b.StatusCode, Title(b.StatusCode), b.Message, null),
        { InnerException: BadHttpRequestException b } => (b.StatusCode, Title(b.StatusCode), b.Message, null),
        _ => (500, "Internal error", e.Message, null),
    };

    public static int Status(HostErrorKind kind) => kind.HttpStatus();

    public static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length required",
        413 => "Request body too large",
        415 => "Unsupported media type",
        422 => "Unprocessable",
        _ => status >= 500 ? "Internal error" : "Request refused",
    };

    public static string Detail(HttpRequest request, int status) => status switch
    {
        404 => $"no route for {request.Method} {request.Path}: see docs/api.md for the routes",
        405 => $"{request.Method} is not allowed on {request.Path}",
        _ => $"{request.Method} {request.Path} was refused ({status})",
    };
}
