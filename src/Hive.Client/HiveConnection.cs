using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace HiveClient;

/// <summary>
/// A connection to one Hive daemon: its URL, the bearer token and a pooled HTTP client. Thread-safe; share one.
/// </summary>
public sealed partial class HiveConnection : IDisposable
{
    public const string DefaultHome = "/var/lib/hive";
    public const string DefaultListen = "127.0.0.1:9000";

    private readonly HttpClient _http;
    private readonly string? _tokenFile;
    private string? _token;

    /// <param name="baseUrl">The daemon, e.g. <c>http://127.0.0.1:9000</c>.</param>
    /// <param name="token">The bearer token (the content of <c>$HIVE_HOME/token</c>), or null.</param>
    /// <param name="handler">An HTTP handler to send through (proxies, tests); the connection does not dispose it.</param>
    public HiveConnection(Uri baseUrl, string? token, HttpMessageHandler? handler = null)
        : this(baseUrl, token, null, handler)
    {
    }

    private HiveConnection(Uri baseUrl, string? token, string? tokenFile, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri) throw new ArgumentException("The daemon URL must be absolute, e.g. http://127.0.0.1:9000.", nameof(baseUrl));
        // A trailing slash makes relative routes resolve below a path prefix (http://host/hive/ + v1/...).
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        _tokenFile = tokenFile;
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: true)
            : new HttpClient(handler, disposeHandler: false);
        // Exec and event streams run as long as they run; callers bound them with cancellation tokens.
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Hive.Client", typeof(HiveConnection).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <summary>The daemon's base URL (always ending with a slash).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Secrets on this daemon: store, list, rotate, delete, activity.</summary>
    public SecretClient Secrets => _secrets ??= new SecretClient(this);
    private SecretClient? _secrets;

    /// <summary>The base URL as people write it (no trailing slash).</summary>
    public string DisplayUrl => BaseUrl.AbsoluteUri.TrimEnd('/');

    /// <summary>Whether a token is known (given, from <c>HIVE_TOKEN</c>, or read from the token file).</summary>
    public bool HasToken => Token is not null;

    /// <summary>
    /// A connection configured like the CLI: URL from <c>HIVE_URL</c>, else <c>http://</c> + <c>HIVE_LISTEN</c>
    /// (else <c>listen</c> in <c>$HIVE_HOME/daemon.json</c>, else <c>127.0.0.1:9000</c>); token from
    /// <c>HIVE_TOKEN</c>, else the file <c>$HIVE_HOME/token</c> when readable (<c>HIVE_HOME</c> defaults to
    /// <c>/var/lib/hive</c>). The token file is read again on later requests until it exists, so a connection
    /// made before the daemon's first start works once it has started.
    /// </summary>
    public static HiveConnection FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    internal static HiveConnection FromEnvironment(Func<string, string?> env, HttpMessageHandler? handler = null)
    {
        var home = env("HIVE_HOME") is { Length: > 0 } h ? Path.GetFullPath(h) : DefaultHome;
        var url = ResolveUrl(env, home);
        var token = env("HIVE_TOKEN") is { Length: > 0 } t ? t : null;
        return new HiveConnection(url, token, token is null ? Path.Combine(home, "token") : null, handler);
    }

    internal static Uri ResolveUrl(Func<string, string?> env, string home)
    {
        if (env("HIVE_URL") is { Length: > 0 } url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)) return u;
            throw new HiveException($"HIVE_URL '{url}' is not an http(s) URL, e.g. http://127.0.0.1:9000.");
        }
        var listen = env("HIVE_LISTEN") is { Length: > 0 } l ? l : ListenFromSettings(home) ?? DefaultListen;
        return ListenToUrl(listen);
    }

    /// <summary>The URL a client dials for a listen address (<c>0.0.0.0:9000</c> and <c>:9000</c> mean loopback).</summary>
    internal static Uri ListenToUrl(string listen)
    {
        listen = listen.Trim();
        if (listen.Contains("://", StringComparison.Ordinal)) return new Uri(listen);
        var colon = listen.LastIndexOf(':');
        var host = colon < 0 ? listen : listen[..colon];
        var port = colon < 0 ? "9000" : listen[(colon + 1)..];
        host = host switch
        {
            "" or "0.0.0.0" or "*" or "+" => "127.0.0.1",
            "[::]" or "::" => "[::1]",
            _ => host,
        };
        if (!Uri.TryCreate($"http://{host}:{port}", UriKind.Absolute, out var uri))
            throw new HiveException($"HIVE_LISTEN '{listen}' is not host:port, e.g. 127.0.0.1:9000.");
        return uri;
    }

    private static string? ListenFromSettings(string home)
    {
        try
        {
            var file = Path.Combine(home, "daemon.json");
            if (!File.Exists(file)) return null;
            var doc = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return doc?["listen"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private string? Token
    {
        get
        {
            if (_token is null && _tokenFile is not null)
            {
                try
                {
                    var t = File.ReadAllText(_tokenFile).Trim();
                    if (t.Length > 0) _token = t;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
            return _token;
        }
    }

    // ---- the API ----

    /// <summary>Gets the sandbox, creating it with <paramref name="config"/> when it does not exist (an existing sandbox keeps its config).</summary>
    public async Task<Sandbox> GetOrCreateSandboxAsync(string name, SandboxConfig? config = null, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Put, SandboxPath(name))
        {
            Content = JsonContent.Create(config ?? new SandboxConfig(), HiveJsonContext.Default.SandboxConfig),
        };
        using var resp = await SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var info = await ReadJsonAsync(resp, HiveJsonContext.Default.SandboxInfo, ct).ConfigureAwait(false);
        return new Sandbox(this, info, created: resp.StatusCode == HttpStatusCode.Created);
    }

    /// <summary>The sandbox; <see cref="HiveNotFoundException"/> when there is none by that name.</summary>
    public async Task<Sandbox> GetSandboxAsync(string name, CancellationToken ct = default) =>
        new(this, await GetSandboxInfoAsync(name, ct).ConfigureAwait(false), created: false);

    internal Task<SandboxInfo> GetSandboxInfoAsync(string name, CancellationToken ct) =>
        GetJsonAsync(SandboxPath(name), HiveJsonContext.Default.SandboxInfo, ct);

    public async Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(CancellationToken ct = default)
    {
        var list = await GetJsonAsync("v1/sandboxes", HiveJsonContext.Default.ListSandboxInfo, ct).ConfigureAwait(false);
        var result = new List<Sandbox>(list.Count);
        foreach (var info in list) result.Add(new Sandbox(this, info, created: false));
        return result;
    }

    /// <summary>Stops and removes the sandbox; its volumes stay.</summary>
    public async Task DeleteSandboxAsync(string name, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Delete, SandboxPath(name));
        using var _ = await SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary>Liveness and version; needs no token.</summary>
    public Task<HealthInfo> HealthAsync(CancellationToken ct = default) =>
        GetJsonAsync("v1/health", HiveJsonContext.Default.HealthInfo, ct);

    /// <summary>A one-time Inspector login link (valid once, for 5 minutes): what <c>hive inspector</c> prints.</summary>
    public async Task<InspectorLogin> CreateInspectorLoginAsync(CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/login-codes");
        using var resp = await SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var o = await ReadJsonAsync(resp, HiveJsonContext.Default.JsonObject, ct).ConfigureAwait(false);
        var path = (string?)o["path"] ?? throw new HiveException($"The daemon at {DisplayUrl} sent a login code without a path.", (int)resp.StatusCode);
        return new InspectorLogin(new Uri(BaseUrl, path), DateTimeOffset.Parse((string)o["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Events of all sandboxes as they happen, from <paramref name="after"/> (exclusive) or from now. Survives
    /// daemon restarts and dropped connections: it reconnects with the last id seen, so no event is skipped or
    /// repeated. <paramref name="types"/>: comma-separated patterns such as <c>egress.*,fs.request</c>.
    /// </summary>
    public IAsyncEnumerable<SandboxEvent> GetEventsStream(string? types = null, long? after = null, CancellationToken ct = default) =>
        StreamEventsAsync("v1/events", types, after, ct);

    /// <summary>One page of stored events of all sandboxes (no waiting).</summary>
    public Task<IReadOnlyList<SandboxEvent>> GetEventsAsync(string? types = null, long? after = null, int? limit = null, CancellationToken ct = default) =>
        GetEventsPageAsync("v1/events", types, after, limit, ct);

    // ---- plumbing shared with Sandbox ----

    internal static string SandboxPath(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return "v1/sandboxes/" + Uri.EscapeDataString(name);
    }

    internal async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        using var resp = await SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await ReadJsonAsync(resp, type, ct).ConfigureAwait(false);
    }

    internal async Task<T> ReadJsonAsync<T>(HttpResponseMessage resp, JsonTypeInfo<T> type, CancellationToken ct)
    {
        try
        {
            return await resp.Content.ReadFromJsonAsync(type, ct).ConfigureAwait(false)
                ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new HiveException($"The daemon at {DisplayUrl} sent a response this client cannot read ({e.Message}). Is HIVE_URL pointing at a Hive daemon of a matching version?", (int)resp.StatusCode, innerException: e);
        }
    }

    /// <summary>Sends with the token; maps connection failures and error statuses to <see cref="HiveException"/>s.</summary>
    internal async Task<HttpResponseMessage> SendAsync(HttpRequestMessage req, HttpCompletionOption completion, CancellationToken ct)
    {
        if (!req.RequestUri!.IsAbsoluteUri) req.RequestUri = new Uri(BaseUrl, req.RequestUri);
        if (Token is { } token) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage resp;
        try
        {
            resp = await _http.SendAsync(req, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (!ct.IsCancellationRequested)
        {
            throw Unavailable(e);
        }
        if (resp.IsSuccessStatusCode) return resp;
        using (resp) throw await ErrorFromAsync(resp, ct).ConfigureAwait(false);
    }

    /// <summary>Opens a WebSocket to a daemon route, with the token; a refused handshake becomes a <see cref="HiveException"/>.</summary>
    internal async Task<System.Net.WebSockets.ClientWebSocket> ConnectWebSocketAsync(string relative, CancellationToken ct)
    {
        var http = new Uri(BaseUrl, relative);
        var uri = new UriBuilder(http) { Scheme = http.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
        var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (Token is { } token) socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        try
        {
            await socket.ConnectAsync(uri, _http, ct).ConfigureAwait(false);
            return socket;
        }
        catch (System.Net.WebSockets.WebSocketException e) when (!ct.IsCancellationRequested)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            if (status == 0) throw Unavailable(e.InnerException as HttpRequestException ?? new HttpRequestException(e.Message, e));
            var detail = status switch
            {
                401 => Token is null
                    ? $"The daemon refused the connection (401): no token was found; set HIVE_TOKEN, or run as a user who can read {_tokenFile ?? "$HIVE_HOME/token"}."
                    : "The daemon refused the token (401).",
                404 => $"Not found (404): {relative}",
                _ => $"The daemon at {DisplayUrl} refused the WebSocket with {status}.",
            };
            throw HiveException.FromProblem(status, null, detail);
        }
    }

    internal HiveUnavailableException Unavailable(Exception e)
    {
        var connect = e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
        var reason = e.InnerException is System.Net.Sockets.SocketException se
            ? se.SocketErrorCode switch
            {
                System.Net.Sockets.SocketError.ConnectionRefused => "connection refused",
                System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData => "host not found",
                System.Net.Sockets.SocketError.TimedOut => "connection timed out",
                _ => se.Message,
            }
            : e.Message;
        return connect
            ? new HiveUnavailableException($"The Hive daemon is not running at {DisplayUrl} ({reason}). Start it with `hive up`, or set HIVE_URL to where it runs.", e)
            : new HiveUnavailableException($"Lost the connection to the Hive daemon at {DisplayUrl}: {e.Message}", e);
    }

    private async Task<HiveException> ErrorFromAsync(HttpResponseMessage resp, CancellationToken ct)
    {
        var status = (int)resp.StatusCode;
        string body;
        try
        {
            body = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            body = "";
        }
        Problem? problem = null;
        if (body.Length > 0 && body.TrimStart().StartsWith('{'))
        {
            try { problem = JsonSerializer.Deserialize(body, HiveJsonContext.Default.Problem); }
            catch (JsonException) { }
        }
        var fallback = problem is null && body.Length is > 0 and < 500 && !body.TrimStart().StartsWith('<')
            ? body.Trim()
            : $"The daemon at {DisplayUrl} answered {status} {resp.ReasonPhrase}.";
        var error = HiveException.FromProblem(status, problem, fallback);
        if (error is HiveAuthException && status == 401 && Token is null)
            return new HiveAuthException(
                $"{error.Message} No token was found: set HIVE_TOKEN, or run as a user who can read {_tokenFile ?? "$HIVE_HOME/token"}.",
                status, error.Title, error.Type);
        return error;
    }

    internal async Task<IReadOnlyList<SandboxEvent>> GetEventsPageAsync(string path, string? types, long? after, int? limit, CancellationToken ct)
    {
        var array = await GetJsonAsync(path + EventsQuery(types, after, follow: false, limit), HiveJsonContext.Default.JsonArray, ct).ConfigureAwait(false);
        var list = new List<SandboxEvent>(array.Count);
        foreach (var node in array)
            list.Add(new SandboxEvent(node as JsonObject ?? throw new HiveException("The daemon sent an event that is not a JSON object.")));
        return list;
    }

    private static string EventsQuery(string? types, long? after, bool? follow, int? limit)
    {
        var q = new StringBuilder();
        void Add(string key, string value) => q.Append(q.Length == 0 ? '?' : '&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
        if (!string.IsNullOrWhiteSpace(types)) Add("types", types);
        if (after is { } a) Add("after", a.ToString(CultureInfo.InvariantCulture));
        if (follow is { } f) Add("follow", f ? "true" : "false");
        if (limit is { } l) Add("limit", l.ToString(CultureInfo.InvariantCulture));
        return q.ToString();
    }

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Follows an SSE event stream. The first connection must succeed (so a missing daemon or a bad token is
    /// reported at once); after that, a dropped connection, a stopped daemon or a 502/503/504 is retried with
    /// backoff, resuming after the last id yielded. Ids at or below it are skipped, so nothing repeats.
    /// </summary>
    internal async IAsyncEnumerable<SandboxEvent> StreamEventsAsync(string path, string? types, long? after, [EnumeratorCancellation] CancellationToken ct)
    {
        var last = after;
        var delay = ReconnectDelay;
        var connected = false;
        while (true)
        {
            HttpResponseMessage? resp = null;
            using (var req = new HttpRequestMessage(HttpMethod.Get, path + EventsQuery(types, last, follow: null, limit: null)))
            {
                req.Headers.Accept.ParseAdd("text/event-stream");
                if (last is { } l) req.Headers.TryAddWithoutValidation("Last-Event-ID", l.ToString(CultureInfo.InvariantCulture));
                try
                {
                    resp = await SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                }
                catch (HiveException e) when (connected && !ct.IsCancellationRequested && e.Status is 0 or 502 or 503 or 504)
                {
                }
            }

            if (resp is not null && resp.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                var type = resp.Content.Headers.ContentType?.MediaType ?? "no content type";
                resp.Dispose();
                throw new HiveException($"The daemon at {DisplayUrl} answered the event stream with {type}, not text/event-stream. Is HIVE_URL pointing at a Hive daemon?");
            }
            if (resp is not null)
            {
                connected = true;
                delay = ReconnectDelay;
                using (resp)
                {
                    Stream? stream = null;
                    try { stream = await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false); }
                    catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested) { }

                    using var sse = stream is null ? null : new SseReader(stream);
                    while (sse is not null)
                    {
                        SseFrame? frame;
                        try { frame = await sse.ReadAsync(ct).ConfigureAwait(false); }
                        catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested) { frame = null; }
                        if (frame is not { } f) break;
                        if (f.Data.Length == 0) continue;

                        var ev = SandboxEvent.Parse(f.Data);
                        var id = ev.Id != 0 ? ev.Id : long.TryParse(f.Id, CultureInfo.InvariantCulture, out var sseId) ? sseId : 0;
                        if (last is { } seen && id <= seen) continue;
                        last = id;
                        yield return ev;
                    }
                }
            }

            await Task.Delay(delay, ct).ConfigureAwait(false);
            if (resp is null) delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
        }
    }

    public void Dispose() => _http.Dispose();
}
