using Microsoft.AspNetCore.Http;

namespace Hive.Daemon.Api;

internal static class HttpBody
{
    public const int MaxJsonBytes = 4 * 1024 * 1024;

    public static async Task<ReadOnlyMemory<byte>> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > MaxJsonBytes) throw ApiProblem.BadRequest($"request body is larger than {MaxJsonBytes / 1024 / 1024} MiB");
            ms.Write(buffer, 0, n);
        }
        return ms.GetBuffer().AsMemory(0, (int)ms.Length);
    }
}
