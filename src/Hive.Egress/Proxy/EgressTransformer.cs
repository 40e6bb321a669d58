using Hive.Core.Egress;
using Hive.Core.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Egress.Proxy;

/// <summary>
/// Builds the upstream request from what the policy decided on: the canonical destination, the
/// normalised path (what was matched is what is forwarded), real secret values in place of stand-ins
/// (<paramref name="secrets"/>: only when they changed something), and the rule's overrides set last. On a secret's
/// hosts, <paramref name="scrubbing"/> puts stand-ins back in place of real values in the response.
/// </summary>
internal sealed class EgressTransformer(EgressConnection connection, UrlTarget target, OverrideApplier? overrides,
    SubstitutionResult.Forward? secrets = null, ResponseScrubbing? scrubbing = null) : HttpTransformer
{
    /// <summary>The upstream's status, once its response arrived.</summary>
    public int? UpstreamStatus { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var query = secrets is null ? target.Query : secrets.Query;
        if (overrides is not null) query = overrides.RewriteQuery(query);
        proxyRequest.RequestUri = connection.UpstreamUriFor(target.Path, query);
        // No Host header of our own: HttpClient then sends the URI's authority (connection.Authority) as Host / :authority
        // from what its connection pool prepared once, where setting one would parse and validate it on every request.
        proxyRequest.Headers.Remove("Host");
        proxyRequest.Headers.Remove("Via");
        if (secrets is not null) ApplySecretHeaders(httpContext, proxyRequest, secrets.Headers);
        if (overrides is not null)
            foreach (var (name, value) in overrides.Headers) Set(proxyRequest, name, [value]);
        // Last: an override must not bring back a compressed body the proxy then has to decode.
        if (scrubbing is not null) ResponseScrubbing.PrepareRequest(proxyRequest);
    }

    /// <summary>Every header whose values the substitution changed or added is replaced whole by its new values.</summary>
    private static void ApplySecretHeaders(HttpContext httpContext, HttpRequestMessage proxyRequest, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        HashSet<string>? changed = null;
        var index = 0;
        foreach (var (name, values) in httpContext.Request.Headers)
            foreach (var value in values)
            {
                if (value is null) continue;
                if (index >= headers.Count || !string.Equals(headers[index].Value, value, StringComparison.Ordinal)) (changed ??= new(StringComparer.OrdinalIgnoreCase)).Add(name);
                index++;
            }
        for (var i = index; i < headers.Count; i++) (changed ??= new(StringComparer.OrdinalIgnoreCase)).Add(headers[i].Key);
        if (changed is null) return;
        foreach (var name in changed)
        {
            if (string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase)) continue;
            var values = new List<string>();
            foreach (var (n, v) in headers)
                if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) values.Add(v);
            Set(proxyRequest, name, values);
        }
    }

    private static void Set(HttpRequestMessage proxyRequest, string name, List<string> values)
    {
        // Each collection throws on the other's header names, so pick the one the name belongs to.
        if (IsContentHeader(name))
        {
            if (proxyRequest.Content is not { } content) return;
            content.Headers.Remove(name);
            foreach (var value in values) content.Headers.TryAddWithoutValidation(name, value);
            return;
        }
        proxyRequest.Headers.Remove(name);
        foreach (var value in values) proxyRequest.Headers.TryAddWithoutValidation(name, value);
    }

    private static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || name.Equals("Allow", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expires", StringComparison.OrdinalIgnoreCase) || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase);

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        UpstreamStatus = proxyResponse is null ? null : (int)proxyResponse.StatusCode;
        if (scrubbing is not null && proxyResponse is not null && !await scrubbing.PrepareResponseAsync(httpContext, proxyResponse, cancellationToken)) return false;
        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        httpContext.Response.Headers.Remove("Via");
        scrubbing?.ScrubResponse(httpContext);
        return result;
    }

    public override async ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        await base.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
        scrubbing?.Scrub(httpContext.Features.Get<IHttpResponseTrailersFeature>()?.Trailers);
    }
}
