using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// git's smart HTTP protocol on loopback: the real <c>git http-backend</c> run as a CGI per request, over bare
/// repositories in a temporary directory. When <see cref="RequiredAuthorization"/> is set, requests without exactly
/// that Authorization header get 401 with a Basic challenge, as GitHub does.
/// </summary>
public sealed class GitHttpServer : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("hive-git-").FullName;

    public string? RequiredAuthorization { get; set; }

    /// <summary>What went wrong serving requests (git's stderr, exceptions).</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Every Authorization header received (empty string: none).</summary>
    public ConcurrentQueue<string> ReceivedAuthorizations { get; } = new();

    public void CreateBareRepository(string name)
    {
        var path = Path.Combine(Root, name);
        using var p = Process.Start(new ProcessStartInfo("git", ["init", "-q", "--bare", path]) { UseShellExecute = false })!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"git init --bare {path} failed");
    }

    public string? Ref(string repository, string reference)
    {
        var psi = new ProcessStartInfo("git", ["--git-dir", Path.Combine(Root, repository), "rev-parse", "--verify", "-q", reference])
        { UseShellExecute = false, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return p.ExitCode == 0 ? output : null;
    }

    /// <summary>Serves <c>/git/{repo}/…</c>.</summary>
    public async Task HandleAsync(HttpContext c)
    {
        try
        {
            await ServeAsync(c);
        }
        catch (Exception e)
        {
            Errors.Enqueue($"{c.Request.Method} {c.Request.Path}{c.Request.QueryString}: {e}");
            throw;
        }
    }

    private async Task ServeAsync(HttpContext c)
    {
        var authorization = c.Request.Headers.Authorization.ToString();
        ReceivedAuthorizations.Enqueue(authorization);
        if (RequiredAuthorization is { } want && authorization != want)
        {
            c.Response.StatusCode = 401;
            c.Response.Headers.WWWAuthenticate = "Basic realm=\"hive-test-git\"";
            return;
        }
        var psi = new ProcessStartInfo("git", ["http-backend"])
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var env = psi.Environment;
        env["GIT_PROJECT_ROOT"] = Root;
        env["GIT_HTTP_EXPORT_ALL"] = "1";
        env["PATH_INFO"] = c.Request.Path.Value!["/git".Length..];
        env["QUERY_STRING"] = c.Request.QueryString.HasValue ? c.Request.QueryString.Value![1..] : "";
        env["REQUEST_METHOD"] = c.Request.Method;
        env["CONTENT_TYPE"] = c.Request.ContentType ?? "";
        env["REMOTE_USER"] = "agent"; // enables receive-pack
        env["REMOTE_ADDR"] = "127.0.0.1";
        if (c.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding) env["HTTP_CONTENT_ENCODING"] = encoding;
        if (c.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol) env["GIT_PROTOCOL"] = protocol;
        using var p = Process.Start(psi)!;
        var stdin = Task.Run(async () =>
        {
            await c.Request.Body.CopyToAsync(p.StandardInput.BaseStream);
            p.StandardInput.Close();
        });
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.BaseStream;
        // CGI headers, up to the blank line.
        var header = new List<byte>();
        var one = new byte[1];
        while (await output.ReadAsync(one) == 1)
        {
            header.Add(one[0]);
            var n = header.Count;
            if (n >= 2 && header[n - 1] == '\n' && (header[n - 2] == '\n' || (n >= 4 && header[n - 2] == '\r' && header[n - 3] == '\n'))) break;
        }
        foreach (var line in Encoding.ASCII.GetString([.. header]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase)) c.Response.StatusCode = int.Parse(value.Split(' ')[0]);
            else c.Response.Headers.Append(name, value);
        }
        await output.CopyToAsync(c.Response.Body);
        await stdin;
        await p.WaitForExitAsync();
        if ((await stderr).Trim() is { Length: > 0 } complaint) Errors.Enqueue($"{c.Request.Method} {c.Request.Path}: {complaint}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
