using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>
/// The Inspector's login (docs/inspector.md, docs/api.md): one-time codes minted with the bearer token, the session
/// cookie they set, the CSRF token every mutating call with that cookie must echo, and the bearer token still working.
/// </summary>
[Collection("inspector")]
public sealed class InspectorAuthTests(InspectorDaemon fixture)
{
    private DaemonProcess D => fixture.Daemon;

    // No cookie jar and no redirects: every Set-Cookie and Location is checked as the daemon sent it.
    private HttpClient Raw() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(D.Url) };

    private async Task<string> MintCodePathAsync()
    {
        using var http = Raw();
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/login-codes");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", D.Token);
        using var resp = await http.SendAsync(req);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        var body = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        var path = (string)body["path"]!;
        Assert.Matches("^/login\\?code=[0-9a-f]{64}$", path);
        return path;
    }

    private async Task<(string Cookie, string Csrf)> LoginAsync()
    {
        using var http = Raw();
        using var resp = await http.GetAsync(await MintCodePathAsync());
        Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
        var cookie = resp.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v1/session");
        req.Headers.Add("Cookie", cookie);
        using var s = await http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, s.StatusCode);
        var session = JsonNode.Parse(await s.Content.ReadAsStringAsync())!;
        Assert.Equal("session", (string)session["auth"]!);
        return (cookie, (string)session["csrfToken"]!);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? cookie = null, string? csrf = null, bool bearer = false, string? body = null)
    {
        using var http = Raw();
        using var req = new HttpRequestMessage(method, path);
        if (cookie is not null) req.Headers.Add("Cookie", cookie);
        if (csrf is not null) req.Headers.Add("X-CSRF-Token", csrf);
        if (bearer) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", D.Token);
        if (body is not null) req.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        return await http.SendAsync(req);
    }

    [Fact]
    public async Task A_login_code_sets_an_HttpOnly_SameSite_Strict_session_cookie_and_redirects_to_the_inspector()
    {
        using var http = Raw();
        using var resp = await http.GetAsync(await MintCodePathAsync());
        Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
        Assert.Equal("/", resp.Headers.Location!.OriginalString);
        var setCookie = resp.Headers.GetValues("Set-Cookie").Single();
        var attributes = setCookie.Split(';').Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.StartsWith("hive_session=", setCookie);
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains("path=/", attributes);
    }

    [Fact]
    public async Task A_login_code_works_once()
    {
        var path = await MintCodePathAsync();
        using var first = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        using var second = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.False(second.Headers.Contains("Set-Cookie"));
        Assert.Contains("used or expired", await second.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_login_code_expires()
    {
        var path = await MintCodePathAsync();
        await Task.Delay(InspectorDaemon.CodeTtl + TimeSpan.FromSeconds(1));
        using var resp = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.False(resp.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData("/login?code=00")]
    [InlineData("/login?code=")]
    [InlineData("/login?code=0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task An_unknown_or_empty_code_logs_nobody_in(string path)
    {
        using var resp = await SendAsync(HttpMethod.Get, path);
        Assert.False(resp.Headers.Contains("Set-Cookie"));
        Assert.NotEqual(HttpStatusCode.Redirect, resp.StatusCode);
        Assert.Contains("hive inspector", await resp.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/assets/app.js")]
    [InlineData("/anything")]
    public async Task Without_login_a_page_redirects_to_the_login_page(string path)
    {
        using var resp = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
        Assert.Equal("/login", resp.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("GET", "/v1/sandboxes")]
    [InlineData("GET", "/v1/session")]
    [InlineData("GET", "/v1/events?follow=false")]
    [InlineData("GET", "/v1/sandboxes/x/llm-calls/1")]
    [InlineData("GET", "/v1/secrets")]
    [InlineData("POST", "/v1/login-codes")]
    [InlineData("DELETE", "/v1/sandboxes/x")]
    public async Task Without_login_or_token_the_api_answers_401_problem_json(string method, string path)
    {
        using var resp = await SendAsync(new HttpMethod(method), path);
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.Equal("application/problem+json", resp.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_session_cookie_opens_the_pages_and_read_routes_of_the_api()
    {
        var (cookie, _) = await LoginAsync();
        using var page = await SendAsync(HttpMethod.Get, "/", cookie);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        using var list = await SendAsync(HttpMethod.Get, "/v1/sandboxes", cookie);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    // One line per mutating method: with the cookie, no token or a wrong one is refused before the route runs.
    [Theory]
    [InlineData("POST", "/v1/sandboxes/nope/exec", null)]
    [InlineData("PUT", "/v1/sandboxes/nope", null)]
    [InlineData("PATCH", "/v1/sandboxes/nope", null)]
    [InlineData("DELETE", "/v1/sandboxes/nope", null)]
    [InlineData("DELETE", "/v1/sandboxes/nope", "")]
    [InlineData("DELETE", "/v1/sandboxes/nope", "wrong")]
    [InlineData("PUT", "/v1/sandboxes/nope/config", "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("DELETE", "/v1/session", null)]
    public async Task With_the_cookie_a_mutating_call_without_the_right_csrf_token_is_refused(string method, string path, string? csrf)
    {
        var (cookie, _) = await LoginAsync();
        using var resp = await SendAsync(new HttpMethod(method), path, cookie, csrf, body: method is "GET" ? null : "{}");
        Assert.Equal(HttpStatusCode.Forbidden, resp.StatusCode);
        Assert.Equal("application/problem+json", resp.Content.Headers.ContentType!.MediaType);
        Assert.Contains("X-CSRF-Token", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Another_sessions_csrf_token_is_refused()
    {
        var (cookie, _) = await LoginAsync();
        var (_, otherCsrf) = await LoginAsync();
        using var resp = await SendAsync(HttpMethod.Delete, "/v1/sandboxes/nope", cookie, otherCsrf);
        Assert.Equal(HttpStatusCode.Forbidden, resp.StatusCode);
    }

    [Fact]
    public async Task With_the_cookie_and_its_csrf_token_a_mutating_call_reaches_its_route()
    {
        var (cookie, csrf) = await LoginAsync();
        using var resp = await SendAsync(HttpMethod.Delete, "/v1/sandboxes/nope", cookie, csrf);
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
    }

    [Fact]
    public async Task The_bearer_token_still_works_without_any_csrf_token()
    {
        using var list = await SendAsync(HttpMethod.Get, "/v1/sandboxes", bearer: true);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var delete = await SendAsync(HttpMethod.Delete, "/v1/sandboxes/nope", bearer: true);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        using var session = await SendAsync(HttpMethod.Get, "/v1/session", bearer: true);
        Assert.Equal("token", (string)JsonNode.Parse(await session.Content.ReadAsStringAsync())!["auth"]!);
    }

    [Fact]
    public async Task A_session_cannot_mint_login_codes_nor_reach_a_sandbox_url()
    {
        var (cookie, csrf) = await LoginAsync();
        using var mint = await SendAsync(HttpMethod.Post, "/v1/login-codes", cookie, csrf);
        Assert.Equal(HttpStatusCode.Forbidden, mint.StatusCode);
        // sandbox.url serves the sandbox's own pages: under the Inspector's origin they must not get its cookie's rights.
        using var ingress = await SendAsync(HttpMethod.Get, "/sandboxes/nope/", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, ingress.StatusCode);
    }

    [Fact]
    public async Task A_session_survives_a_daemon_restart_and_its_cookie_value_is_never_stored()
    {
        var (cookie, csrf) = await LoginAsync();
        await D.StopAsync();
        await D.RestartAsync();
        using var list = await SendAsync(HttpMethod.Get, "/v1/sandboxes", cookie);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var delete = await SendAsync(HttpMethod.Delete, "/v1/sandboxes/nope", cookie, csrf);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        var store = Path.Combine(D.Home, "inspector-sessions.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store));
        Assert.DoesNotContain(cookie.Split('=')[1], File.ReadAllText(store));
    }

    [Fact]
    public async Task An_open_event_stream_does_not_hold_the_daemon_at_shutdown()
    {
        var (cookie, _) = await LoginAsync();
        using var http = Raw();
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        req.Headers.Add("Cookie", cookie);
        req.Headers.Add("Accept", "text/event-stream");
        using var stream = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await D.StopAsync();
        var stopped = watch.Elapsed;
        await D.RestartAsync();
        Assert.True(stopped < TimeSpan.FromSeconds(8), $"the daemon took {stopped.TotalSeconds:F1} s to stop with an event stream open");
    }

    [Fact]
    public async Task Logging_out_ends_the_session()
    {
        var (cookie, csrf) = await LoginAsync();
        using var logout = await SendAsync(HttpMethod.Delete, "/v1/session", cookie, csrf);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        using var after = await SendAsync(HttpMethod.Get, "/v1/sandboxes", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Hive_inspector_prints_a_working_one_time_link()
    {
        var env = new Dictionary<string, string>(D.Env) { ["DISPLAY"] = "", ["WAYLAND_DISPLAY"] = "" };
        foreach (var command in new[] { "inspector", "ui" })
        {
            var r = await Proc.RunAsync(Repo.Hive, [command, "--no-open"], env);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var url = r.Stdout.Trim();
            Assert.Matches($"^{Regex(D.Url)}/login\\?code=[0-9a-f]{{64}}$", url);
            using var resp = await SendAsync(HttpMethod.Get, new Uri(url).PathAndQuery);
            Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
        }
    }

    [Fact]
    public async Task A_sandbox_cannot_reach_the_inspector_nor_redeem_a_login_code()
    {
        using var hive = D.Connect();
        var sb = await hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("ui"), new HiveClient.SandboxConfig { Image = "hive/minimal" });
        try
        {
            var code = await MintCodePathAsync();
            // The daemon's host address (the sandbox's resolver) and the sandbox's own loopback, at the daemon's port.
            var probe = await sb.ExecAsync(["/bin/busybox", "sh", "-c",
                $"host=$(/bin/busybox awk '/nameserver/ {{print $2}}' /etc/resolv.conf); " +
                $"for h in $host 127.0.0.1; do printf 'GET {code} HTTP/1.0\r\nHost: 127.0.0.1:{D.Port}\r\n\r\n' | /bin/busybox nc -w 2 $h {D.Port}; " +
                $"printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1:{D.Port}\r\n\r\n' | /bin/busybox nc -w 2 $h {D.Port}; done; echo done"]);
            Assert.Contains("done", probe.Stdout);
            Assert.DoesNotContain("hive_session", probe.Stdout);
            Assert.DoesNotContain("Location: /", probe.Stdout);
            // The code was not used from inside: it still logs a browser in.
            using var resp = await SendAsync(HttpMethod.Get, code);
            Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Theory]
    [InlineData("/assets/..%2Findex.html")]
    [InlineData("/assets/..%2F..%2Ftoken")]
    [InlineData("/assets/.hidden")]
    [InlineData("/assets/%2Fetc%2Fpasswd")]
    [InlineData("/assets/missing.js")]
    public async Task Only_the_inspectors_own_asset_files_are_served(string path)
    {
        var (cookie, _) = await LoginAsync();
        using var resp = await SendAsync(HttpMethod.Get, path, cookie);
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
    }

    [Fact]
    public async Task HIVE_INSPECTOR_DIR_points_the_daemon_at_other_assets()
    {
        var dir = Directory.CreateTempSubdirectory("hive-ui-assets-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "assets"));
            File.WriteAllText(Path.Combine(dir, "index.html"), "<!doctype html><title>custom inspector</title>");
            File.WriteAllText(Path.Combine(dir, "assets", "x.js"), "console.log(1)");
            await using var other = await DaemonProcess.StartAsync(env: new Dictionary<string, string> { ["HIVE_INSPECTOR_DIR"] = dir });
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(other.Url) };
            using var mint = new HttpRequestMessage(HttpMethod.Post, "/v1/login-codes");
            mint.Headers.Authorization = new AuthenticationHeaderValue("Bearer", other.Token);
            using var minted = await http.SendAsync(mint);
            using var login = await http.GetAsync((string)JsonNode.Parse(await minted.Content.ReadAsStringAsync())!["path"]!);
            var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
            foreach (var (path, want) in new[] { ("/", "custom inspector"), ("/assets/x.js", "console.log(1)") })
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, path);
                req.Headers.Add("Cookie", cookie);
                using var resp = await http.SendAsync(req);
                Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
                Assert.Contains(want, await resp.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Regex(string s) => System.Text.RegularExpressions.Regex.Escape(s);
}
