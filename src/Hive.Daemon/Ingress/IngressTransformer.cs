using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Daemon.Ingress;

/// <summary>
/// Maps <c>/sandboxes/{name}/rest?query</c> to <c>http://sandbox:8080/rest?query</c>. The daemon's bearer token is
/// the client's credential to the daemon, not to the sandbox: it is never forwarded into it.
/// </summary>
internal sealed class IngressTransformer(PathString prefix, PathString rest) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext context, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken ct)
    {
        await base.TransformRequestAsync(context, proxyRequest, destinationPrefix, ct);
        proxyRequest.Headers.Authorization = null;
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", prefix.ToUriComponent());
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, rest.HasValue ? rest : "/", context.Request.QueryString);
        proxyRequest.Headers.Host = null; // the sandbox's own address
    }
}
