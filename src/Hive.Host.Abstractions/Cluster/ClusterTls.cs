using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hive.Host.Abstractions.Cluster;

/// <summary>
/// This process's side of the cluster's mutual TLS: its certificate (and so its role), and the one CA its peers must
/// chain to. A peer is accepted by its chain to that CA (never the system's trust store) and by its role, not by host
/// name: pod addresses change, and every host may share one certificate.
/// </summary>
public sealed class ClusterTls : IDisposable
{
    private readonly X509Certificate2 _ca;
    private readonly SslStreamCertificateContext _context;

    private ClusterTls(X509Certificate2 ca, X509Certificate2 certificate, ClusterRole role)
    {
        _ca = ca;
        Certificate = certificate;
        Role = role;
        _context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }

    /// <summary>This process's certificate, with its key: for the server side and for client authentication.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The role this process's certificate carries.</summary>
    public ClusterRole Role { get; }

    /// <summary>The cluster's CA certificate (public part only).</summary>
    public X509Certificate2 Authority => _ca;

    /// <summary>Reads PEM files; errors name the setting (<c>cluster.tls.ca</c>, <c>.cert</c>, <c>.key</c>) and what is wrong.</summary>
    public static ClusterTls Load(string caPath, string certPath, string keyPath)
    {
        var ca = ReadCa(caPath);
        X509Certificate2 cert;
        try
        {
            Require(certPath, "cluster.tls.cert", "the certificate (tls.crt from hive cluster cert)");
            Require(keyPath, "cluster.tls.key", "its private key (tls.key from hive cluster cert)");
            cert = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        }
        catch (CryptographicException e)
        {
            ca.Dispose();
            throw new InvalidOperationException($"cluster.tls.cert / cluster.tls.key: {certPath} and {keyPath} are not a PEM certificate and its matching private key ({e.Message})", e);
        }
        catch
        {
            ca.Dispose();
            throw;
        }
        try
        {
            return Create(ca, cert, $"cluster.tls.cert: {certPath}");
        }
        catch
        {
            ca.Dispose();
            cert.Dispose();
            throw;
        }
    }

    /// <summary>From certificates in memory (<paramref name="certificate"/> holds its key); the same checks as <see cref="Load"/>.</summary>
    public static ClusterTls Create(X509Certificate2 ca, X509Certificate2 certificate, string what = "cluster.tls.cert")
    {
        if (!certificate.HasPrivateKey) throw new InvalidOperationException($"{what}: the certificate has no private key");
        var roles = ClusterCertificates.RolesOf(certificate);
        if (roles.Count != 1)
            throw new InvalidOperationException($"{what}: the certificate must carry exactly one role as a SAN URI {ClusterRoles.UriPrefix}controller|host " +
                                                $"(it has {roles.Count}); issue it with hive cluster cert --role controller|host");
        if (!Chains(ca, certificate))
                throw new InvalidOperationException($"{what}: the certificate is not signed by the CA in cluster.tls.ca, or it is expired or not yet valid " +
                                                    $"(valid {certificate.NotBefore:u} to {certificate.NotAfter:u})");
        // Only the CA's public part is kept.
        var publicCa = ca.HasPrivateKey ? X509CertificateLoader.LoadCertificate(ca.RawData) : ca;
        return new ClusterTls(publicCa, certificate, roles[0]);
    }

    /// <summary>Whether <paramref name="peer"/> chains to the cluster CA alone, is valid now, and carries <paramref name="expected"/>.</summary>
    public bool Accepts(X509Certificate2? peer, ClusterRole expected) =>
        peer is not null && Chains(_ca, peer) && ClusterCertificates.RolesOf(peer).Contains(expected);

    /// <summary>
    /// An HTTP/2-capable handler that presents this process's certificate and accepts a server only when
    /// <see cref="Accepts"/> does for <paramref name="expectedServer"/>. The caller owns (and disposes) it.
    /// </summary>
    public SocketsHttpHandler CreateClientHandler(ClusterRole expectedServer) => new()
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        KeepAlivePingDelay = TimeSpan.FromSeconds(20),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        // Every exec and terminal is a long stream: past 100 at once, open another connection rather than queue.
        EnableMultipleHttp2Connections = true,
        SslOptions = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls13,
            ClientCertificateContext = _context,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, cert, _, _) =>
                cert is X509Certificate2 c ? Accepts(c, expectedServer) : cert is not null && AcceptsCopy(cert, expectedServer),
        },
    };

    private bool AcceptsCopy(X509Certificate cert, ClusterRole expected)
    {
        using var copy = X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        return Accepts(copy, expected);
    }

    private static bool Chains(X509Certificate2 ca, X509Certificate2 peer)
    {
        // The CA itself (or any self-signed certificate) is never a peer.
        if (peer.SubjectName.RawData.AsSpan().SequenceEqual(peer.IssuerName.RawData) || peer.RawData.AsSpan().SequenceEqual(ca.RawData)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        chain.ChainPolicy.VerificationTime = DateTime.Now;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (!chain.Build(peer)) return false;
        var elements = chain.ChainElements;
        return elements.Count == 2 && elements[^1].Certificate.RawData.AsSpan().SequenceEqual(ca.RawData);
    }

    private static X509Certificate2 ReadCa(string caPath)
    {
        Require(caPath, "cluster.tls.ca", "the cluster CA certificate (ca.crt from hive cluster ca)");
        try
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
            var isCa = ca.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
            if (!isCa)
            {
                ca.Dispose();
                throw new InvalidOperationException($"cluster.tls.ca: {caPath} is not a CA certificate (no CA basic constraint); give ca.crt from hive cluster ca");
            }
            return ca;
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"cluster.tls.ca: {caPath} is not a PEM certificate ({e.Message})", e);
        }
    }

    private static void Require(string path, string setting, string what)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidOperationException($"{setting}: required: the path of {what}");
        if (!File.Exists(path)) throw new InvalidOperationException($"{setting}: {path} does not exist (it should hold {what})");
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _ca.Dispose();
    }
}
