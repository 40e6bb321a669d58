using System.IO.Compression;
using System.Net;
using Hive.Core.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Hive.Egress.Proxy;

/// <summary>
/// Keeps real secret values from coming back into the sandbox (docs/secrets.md, "Responses"): on every response from a
/// host that a bound secret is for, the status line's headers, the body (decoded first when the upstream compressed it
/// anyway) and the trailers have each real value, in each encoding the request side uses, replaced by its stand-in.
/// An upgraded stream (WebSocket) is scrubbed from server to sandbox with same-length replacements, as its frames count
/// bytes.
/// </summary>
internal sealed class ResponseScrubbing(ReplacementPatterns patterns, EgressConnection connection)
{
    private readonly ResponseScrub _headers = patterns.HeaderScrub;

    /// <summary>The scrubbing for one request to <paramref name="connection"/>'s host; null when no bound secret is for it.</summary>
    public static ResponseScrubbing? For(SecretSubstitution secrets, EgressConnection connection) =>
        secrets.IsEmpty || ReplacementPatterns.For(secrets, connection.Host) is not { IsEmpty: false } patterns ? null : new(patterns, connection);

    /// <summary>
    /// Asks for an identity body (scrubbing a compressed one means decoding it) and for WebSocket frames without
    /// per-message compression, which the proxy could not look into.
    /// </summary>
    public static void PrepareRequest(HttpRequestMessage request)
    {
        request.Headers.Remove("Accept-Encoding");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
        request.Headers.Remove("Sec-WebSocket-Extensions");
    }

    /// <summary>
    /// Puts the scrubbing stream in place of <paramref name="response"/>'s content and fixes its content headers. False
    /// when the body cannot be scrubbed (an encoding the proxy cannot decode): a 502 has been written instead.
    /// </summary>
    public async ValueTask<bool> PrepareResponseAsync(HttpContext context, HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode == HttpStatusCode.SwitchingProtocols)
        {
            var duplex = await response.Content.ReadAsStreamAsync(ct);
            response.Content = new ScrubbedContent(new ScrubbingStream(duplex, patterns.CreateReplacer(fitted: true)));
            return true;
        }
        if (HttpMethods.IsHead(context.Request.Method) || response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotModified) return true;

        var original = response.Content;
        var codings = Codings(original.Headers.ContentEncoding);
        if (codings.Find(c => Decoder(c) is null) is { } unknown)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(
                $"Hive egress proxy: {connection.Host} answered with Content-Encoding {unknown}, which the proxy cannot decode; " +
                "responses from a secret's hosts are checked for the secret's real value, so this one is refused. " +
                "The proxy asks such hosts for identity encoding (gzip, deflate and br are decoded when sent anyway).\n", ct);
            return false;
        }

        Stream body = await original.ReadAsStreamAsync(ct);
        for (var i = codings.Count - 1; i >= 0; i--) body = Decoder(codings[i])!(body);
        // gRPC frames count their bytes: keep every replacement the length of what it replaces there.
        var fitted = original.Headers.ContentType?.MediaType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
        var content = new ScrubbedContent(new ScrubbingStream(body, patterns.CreateReplacer(fitted)));
        var keepLength = codings.Count == 0 && (patterns.SameLength || fitted);
        foreach (var (name, values) in original.Headers)
        {
            if (string.Equals(name, "Content-Encoding", StringComparison.OrdinalIgnoreCase) && codings.Count > 0) continue;
            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase) && !keepLength) continue;
            content.Headers.TryAddWithoutValidation(name, values);
        }
        response.Content = content;
        return true;
    }

    private static readonly List<string> NoCodings = [];

    /// <summary>The content codings other than identity, in order (the usual none without allocating).</summary>
    private static List<string> Codings(ICollection<string> header)
    {
        if (header.Count == 0) return NoCodings;
        var codings = new List<string>(header.Count);
        foreach (var c in header)
            if (!string.Equals(c, "identity", StringComparison.OrdinalIgnoreCase)) codings.Add(c);
        return codings;
    }

    private static Func<Stream, Stream>? Decoder(string coding) => coding.ToLowerInvariant() switch
    {
        "gzip" or "x-gzip" => s => new GZipStream(s, CompressionMode.Decompress),
        "deflate" => s => new ZLibStream(s, CompressionMode.Decompress),
        "br" => s => new BrotliStream(s, CompressionMode.Decompress),
        _ => null,
    };

    /// <summary>Replaces real values in the response's headers and its reason phrase (which an HTTP/1.1 upstream chooses).</summary>
    public void ScrubResponse(HttpContext context)
    {
        Scrub(context.Response.Headers);
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>() is { ReasonPhrase: { } reason } feature)
            feature.ReasonPhrase = _headers.Scrub(reason);
    }

    /// <summary>Replaces real values in every header (or trailer) value of <paramref name="headers"/>.</summary>
    public void Scrub(IHeaderDictionary? headers)
    {
        if (headers is null || headers.IsReadOnly) return;
        List<KeyValuePair<string, StringValues>>? changed = null;
        foreach (var (name, values) in headers)
        {
            string?[]? scrubbed = null;
            for (var i = 0; i < values.Count; i++)
            {
                var value = values[i];
                if (value is null) continue;
                var clean = _headers.Scrub(value);
                if (ReferenceEquals(clean, value)) continue;
                scrubbed ??= values.ToArray();
                scrubbed[i] = clean;
            }
            if (scrubbed is not null) (changed ??= []).Add(new(name, new StringValues(scrubbed)));
        }
        if (changed is null) return;
        foreach (var (name, values) in changed) headers[name] = values;
    }
}
