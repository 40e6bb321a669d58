using Hive.Core.Egress;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Egress.Proxy;

/// <summary>
/// Builds the upstream request from what the policy decided on: the canonical destination, the
/// normalised path (what was matched is what is forwarded), and the rule's overrides set last.
/// </summary>
internal sealed class EgressTransformer(EgressConnection connection, UrlTarget target, OverrideApplier? overrides) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var query = overrides is null ? target.Query : overrides.RewriteQuery(target.Query);
        proxyRequest.RequestUri = new Uri($"{connection.Scheme}://{connection.Authority}{target.Path}{(string.IsNullOrEmpty(query) ? "" : "?" + query)}");
        proxyRequest.Headers.Host = connection.Authority;
        proxyRequest.Headers.Remove("Via");
        if (overrides is null) return;
        foreach (var (name, value) in overrides.Headers)
        {
            proxyRequest.Headers.Remove(name);
            proxyRequest.Content?.Headers.Remove(name);
            if (!proxyRequest.Headers.TryAddWithoutValidation(name, value)) proxyRequest.Content?.Headers.TryAddWithoutValidation(name, value);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        httpContext.Response.Headers.Remove("Via");
        return result;
    }
}
