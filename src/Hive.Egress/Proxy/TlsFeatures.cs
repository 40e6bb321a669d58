using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Hive.Egress.Proxy;

/// <summary>
/// Tells Kestrel the connection is TLS and which protocol ALPN chose. Without ITlsConnectionFeature
/// Kestrel would speak HTTP/1.1 even when h2 was negotiated.
/// </summary>
internal sealed class TlsFeatures(ReadOnlyMemory<byte> protocol) : ITlsConnectionFeature, ITlsApplicationProtocolFeature
{
    public X509Certificate2? ClientCertificate { get; set; }
    public ReadOnlyMemory<byte> ApplicationProtocol { get; } = protocol;
    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
}
