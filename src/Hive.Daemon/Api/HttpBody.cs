using Hive.Core.Config;
using Hive.Core.Http;
using Microsoft.AspNetCore.Http;

namespace Hive.Daemon.Api;

internal static class HttpBody
{
    public const int MaxJsonBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The whole body, checked to be one JSON value of valid Unicode (400 naming the field otherwise);
    /// 413 past <see cref="MaxJsonBytes"/>, told by Content-Length before anything is read when it is given.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxJsonBytes) throw TooLarge();
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > MaxJsonBytes) throw TooLarge();
            ms.Write(buffer, 0, n);
        }
        var body = ms.GetBuffer().AsMemory(0, (int)ms.Length);
        // An empty body is the route's to judge (a sandbox's config defaults everything).
        if (!body.Span.Trim(" \t\r\n"u8).IsEmpty && JsonText.Check(body.Span) is { } problem)
            throw ApiProblem.Invalid([new ConfigError(problem.Path, problem.Message)], "Invalid request body");
        return body;
    }

    private static ApiProblem TooLarge() =>
        new(413, "Request body too large", $"the request body is larger than {MaxJsonBytes / 1024 / 1024} MiB, the most a JSON body may be");
}
