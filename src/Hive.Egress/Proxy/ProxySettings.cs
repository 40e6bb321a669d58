using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hive.Egress.Proxy;

/// <summary>
/// How the proxy's two sides are set up: the Kestrel listener the sandboxes reach and the handler that carries requests
/// to upstreams. The egress benchmark's bare Kestrel+YARP proxy uses the same settings, so that Hive is measured against
/// the stack as Hive runs it.
/// </summary>
public static class ProxySettings
{
    /// <summary>The listener's limits: a sandbox's bodies and connections are bounded by its policy, not by Kestrel's defaults.</summary>
    public static void ApplyListenerLimits(KestrelServerOptions k)
    {
        k.AddServerHeader = false;
        k.Limits.MaxRequestBodySize = null;
        k.Limits.MinRequestBodyDataRate = null;
        k.Limits.MinResponseDataRate = null;
        k.Limits.MaxConcurrentConnections = null;
        k.Limits.Http2.MaxStreamsPerConnection = 256;
    }

    /// <param name="connect">Dials the upstream (Hive: the checked, pinned address); null dials as .NET does.</param>
    /// <param name="trust">Decides the upstream's certificate; null leaves it to the system's validation.</param>
    public static SocketsHttpHandler UpstreamHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect,
        RemoteCertificateValidationCallback? trust) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = TimeSpan.FromSeconds(15),
        ConnectCallback = connect,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = trust },
        // A transparent proxy adds no trace context of its own (traceparent…); the sandbox's own headers pass as sent.
        ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
    };
}
