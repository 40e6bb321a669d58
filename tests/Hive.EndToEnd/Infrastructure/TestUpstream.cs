using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// The upstream "internet" of the egress tests: a Kestrel server on loopback with a certificate from
/// a CA the test makes, for *.example.test. The daemon reaches it through upstream.hosts and caBundle.
/// </summary>
public sealed class TestUpstream : IAsyncDisposable
{
    /// <summary>The names it always answers for; the model providers' hosts let the proxy's llm.call recording be tested here, on loopback.</summary>
    public static readonly string[] DefaultNames = ["api.example.test", "other.example.test", "deny.example.test", "api.anthropic.com", "api.openai.com"];
    private readonly WebApplication _app;

    private TestUpstream(WebApplication app, int httpsPort, int httpPort, string caPem, string[] names, GitHttpServer git)
    {
        _app = app;
        Names = names;
        Git = git;
        HttpsPort = httpsPort;
        HttpPort = httpPort;
        CaPem = caPem;
    }

    /// <summary>The names its certificate holds and <see cref="UpstreamSettings"/> points here.</summary>
    public string[] Names { get; }

    /// <summary>git smart HTTP under <c>/git/</c>.</summary>
    public GitHttpServer Git { get; }

    public int HttpsPort { get; }
    public int HttpPort { get; }
    public string CaPem { get; }

    /// <summary>The daemon.json "upstream" object that points the test names here.</summary>
    public string UpstreamSettings(string caBundlePath) =>
        new JsonObject
        {
            ["hosts"] = new JsonObject(Names.Select(n => KeyValuePair.Create(n, (JsonNode?)JsonValue.Create("127.0.0.1")))),
            ["allowPrivate"] = new JsonArray("127.0.0.0/8"),
            ["caBundle"] = caBundlePath,
        }.ToJsonString();

    public static async Task<TestUpstream> StartAsync(params string[] extraNames)
    {
        string[] names = [.. DefaultNames.Union(extraNames)];
        var git = new GitHttpServer();
        var (ca, leaf) = Certificates(names);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, 0, o => { o.Protocols = HttpProtocols.Http1AndHttp2; o.UseHttps(leaf); });
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/echo/{**rest}", Echo);
        app.Map("/reflect/{**rest}", Reflect);
        app.Map("/ws-reflect", async (HttpContext c) =>
        {
            // Says back, as its first text message, the headers its handshake carried; then echoes.
            if (!c.WebSockets.IsWebSocketRequest) { c.Response.StatusCode = 400; return; }
            var said = string.Join("\n", c.Request.Headers.Select(h => $"{h.Key}: {h.Value}"));
            using var ws = await c.WebSockets.AcceptWebSocketAsync();
            await ws.SendAsync(System.Text.Encoding.UTF8.GetBytes(said), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[4096];
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close) { await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None); break; }
                await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
            }
        });
        app.MapGet("/sse", Sse);
        app.MapPost("/upload", async (HttpContext c) =>
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = await c.Request.Body.ReadAsync(buffer)) > 0) total += n;
            return Results.Text($"{{\"bytes\":{total}}}", "application/json");
        });
        app.MapGet("/bytes", async (HttpContext c, long n, string? fill) =>
        {
            c.Response.ContentType = "application/octet-stream";
            c.Response.ContentLength = n;
            var chunk = new byte[64 * 1024];
            // fill=text: English-like text full of key-like prefixes ("sk-", "ghp_"), the worst case for a search for keys.
            if (fill == "text")
            {
                var text = System.Text.Encoding.ASCII.GetBytes("the sk-live key was rotated; ask ghp_ tokens to skip sk- prefixes in task logs. ");
                for (var i = 0; i < chunk.Length; i++) chunk[i] = text[i % text.Length];
            }
            for (long sent = 0; sent < n; sent += chunk.Length)
                await c.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, n - sent)));
        });
        app.Map("/ws", async (HttpContext c) =>
        {
            if (!c.WebSockets.IsWebSocketRequest) { c.Response.StatusCode = 400; return; }
            using var ws = await c.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close) { await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None); break; }
                await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
            }
        });
        app.MapPost("/v1/messages", AnthropicMessages);
        app.MapPost("/v1/chat/completions", OpenAiChatCompressed);
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        app.Map("/git/{**rest}", git.HandleAsync);
        app.MapFallback((HttpContext c) => Results.Text($"hello from upstream {c.Request.Path}\n"));
        await app.StartAsync();
        var ports = app.Urls.Select(u => new Uri(u)).ToList();
        return new TestUpstream(app, ports.First(u => u.Scheme == "https").Port, ports.First(u => u.Scheme == "http").Port, ca.ExportCertificatePem(), names, git);
    }

    /// <summary>
    /// What <c>/echo</c> received, by the <c>id</c> its answer carries: the proxy scrubs real secret values out of the
    /// answers of a secret's hosts, so a test that checks what reached the upstream reads it here
    /// (<c>UpstreamDaemon.Json</c> does).
    /// </summary>
    public static ConcurrentDictionary<string, string> Received { get; } = new();

    /// <summary>Reflects what arrived: method, raw target, query and every header.</summary>
    private static IResult Echo(HttpContext c)
    {
        var headers = new JsonObject();
        foreach (var (k, v) in c.Request.Headers) headers[k.ToLowerInvariant()] = v.ToString();
        var id = Guid.NewGuid().ToString("N");
        var json = new JsonObject
        {
            ["id"] = id,
            ["method"] = c.Request.Method,
            ["target"] = c.Features.Get<IHttpRequestFeature>()!.RawTarget,
            ["query"] = c.Request.QueryString.Value,
            ["protocol"] = c.Request.Protocol,
            ["headers"] = headers,
        }.ToJsonString();
        Received[id] = json;
        return Results.Text(json, "application/json");
    }

    /// <summary>
    /// Reflects like an API's error or debug page: the request's headers, target and body in the response body (also
    /// base64 of each header value after one byte, as a token would embed it) and each header back as
    /// <c>X-Echo-NAME</c>. <c>?encoding=gzip|deflate|br|zstd</c> compresses the body (or claims to, for zstd) whatever
    /// the request accepts; <c>?chunk=N</c> writes it in N-byte pieces, each flushed.
    /// </summary>
    private static async Task Reflect(HttpContext c)
    {
        var body = await new StreamReader(c.Request.Body).ReadToEndAsync();
        var text = new System.Text.StringBuilder();
        text.Append("you sent ").Append(c.Request.Method).Append(' ').Append(c.Features.Get<IHttpRequestFeature>()!.RawTarget).Append('\n');
        foreach (var (name, values) in c.Request.Headers)
        {
            text.Append(name).Append(": ").Append(values.ToString()).Append('\n');
            text.Append(name).Append(" (b64): ").Append(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("#" + values))).Append('\n');
            if (!name.StartsWith(':') && name is not ("Host" or "Content-Length" or "Transfer-Encoding" or "Connection"))
                c.Response.Headers["X-Echo-" + name] = values.ToString();
        }
        text.Append("body: ").Append(body).Append('\n');
        var bytes = System.Text.Encoding.UTF8.GetBytes(text.ToString());
        c.Response.ContentType = "text/plain";
        var encoding = c.Request.Query["encoding"].ToString();
        if (encoding.Length > 0)
        {
            c.Response.Headers.ContentEncoding = encoding;
            using var compressed = new MemoryStream();
            await using (Stream z = encoding switch
            {
                "gzip" => new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, true),
                "deflate" => new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Fastest, true),
                "br" => new System.IO.Compression.BrotliStream(compressed, System.IO.Compression.CompressionLevel.Fastest, true),
                _ => new MemoryStream(), // zstd: this server cannot make it, the proxy must refuse it unread
            })
                await z.WriteAsync(bytes);
            bytes = encoding == "zstd" ? bytes : compressed.ToArray();
        }
        var chunk = int.TryParse(c.Request.Query["chunk"], out var n) && n > 0 ? n : bytes.Length;
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            await c.Response.Body.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)));
            await c.Response.Body.FlushAsync();
        }
    }

    /// <summary>The shapes of the Anthropic Messages API: a JSON message, or its event stream when asked to stream.</summary>
    private static async Task AnthropicMessages(HttpContext c)
    {
        var request = JsonNode.Parse(await new StreamReader(c.Request.Body).ReadToEndAsync())!;
        var model = (string?)request["model"] ?? "unknown";
        if ((bool?)request["stream"] != true)
        {
            await c.Response.WriteAsJsonAsync(new JsonObject
            {
                ["type"] = "message", ["model"] = model, ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "hi" }),
                ["usage"] = new JsonObject { ["input_tokens"] = 21, ["output_tokens"] = 4 },
            });
            return;
        }
        c.Response.ContentType = "text/event-stream";
        string[] events =
        [
            """{"type":"message_start","message":{"type":"message","model":""" + JsonValue.Create(model).ToJsonString() + ""","usage":{"input_tokens":33,"output_tokens":1}}}""",
            """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}""",
            """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}""",
            """{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}""",
            """{"type":"message_stop"}""",
        ];
        foreach (var e in events)
        {
            await c.Response.WriteAsync($"event: {JsonNode.Parse(e)!["type"]}\ndata: {e}\n\n");
            await c.Response.Body.FlushAsync();
        }
    }

    /// <summary>An OpenAI chat completion, gzip-compressed as the real API sends it to clients that accept it.</summary>
    private static async Task OpenAiChatCompressed(HttpContext c)
    {
        // Read the request first, as a model API does: an answer sent before the body was read can end the exchange (HTTP/2)
        // before the proxy has passed, and so recorded, the whole request.
        await c.Request.Body.CopyToAsync(Stream.Null);
        var body = System.Text.Encoding.UTF8.GetBytes("""{"object":"chat.completion","model":"gpt-test-1","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5}}""");
        c.Response.ContentType = "application/json";
        c.Response.Headers.ContentEncoding = "gzip";
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            await gzip.WriteAsync(body);
        await c.Response.Body.WriteAsync(compressed.ToArray());
    }

    private static async Task Sse(HttpContext c)
    {
        c.Response.ContentType = "text/event-stream";
        for (var i = 1; i <= 4; i++)
        {
            await c.Response.WriteAsync($"data: token{i}\n\n");
            await c.Response.Body.FlushAsync();
            await Task.Delay(400);
        }
    }

    private static (X509Certificate2 Ca, X509Certificate2 Leaf) Certificates(string[] names)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Hive test upstream CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=api.example.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var n in names) san.AddDnsName(n);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca, now.AddDays(-1), now.AddDays(2), RandomNumberGenerator.GetBytes(12));
        using var withKey = issued.CopyWithPrivateKey(key);
        return (ca, X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Git.Dispose();
    }
}
