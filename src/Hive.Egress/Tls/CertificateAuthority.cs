using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hive.Egress.Tls;

/// <summary>
/// The daemon's CA: created once under <c>$HIVE_HOME/ca</c> (key readable by root only) and installed in
/// every sandbox's trust store. Leaves are minted per host on first use and cached.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(7);
    private readonly X509Certificate2 _ca;
    private readonly ECDsa _caKey;
    private readonly ConcurrentDictionary<string, Lazy<X509Certificate2>> _leaves = new(StringComparer.OrdinalIgnoreCase);

    private CertificateAuthority(X509Certificate2 ca, ECDsa key, string pem)
    {
        _ca = ca;
        _caKey = key;
        CertificatePem = pem;
    }

    /// <summary>The CA certificate in PEM, as the sandbox's trust store gets it.</summary>
    public string CertificatePem { get; }

    public X509Certificate2 Certificate => _ca;

    public static CertificateAuthority LoadOrCreate(string directory)
    {
        Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, "ca.pem");
        var keyPath = Path.Combine(directory, "ca.key");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var pem = File.ReadAllText(certPath);
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(keyPath));
            return new CertificateAuthority(X509Certificate2.CreateFromPem(pem), key, pem);
        }
        var (cert, caKey) = CreateCa();
        var certPem = cert.ExportCertificatePem();
        WritePrivate(keyPath, caKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certPem);
        return new CertificateAuthority(cert, caKey, certPem);
    }

    /// <summary>The leaf for a host name or IP literal, with its private key; minted once per host.</summary>
    public X509Certificate2 LeafFor(string host) =>
        _leaves.GetOrAdd(host, h => new Lazy<X509Certificate2>(() => MintLeaf(h))).Value;

    private X509Certificate2 MintLeaf(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(host)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(host, out var ip)) san.AddIpAddress(ip); else san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(_ca.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), now.AddHours(-1), now.Add(LeafLifetime), serial);
        // Round-trip through PKCS#12 so SslStream gets a certificate whose key it can use on every platform.
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static (X509Certificate2, ECDsa) CreateCa()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN=Hive sandbox egress CA {Environment.MachineName}, O=Hive"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return (request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10)), key);
    }

    private static string Escape(string host) => host.Replace("\"", "").Replace(",", "").Replace("=", "");

    private static void WritePrivate(string path, string content)
    {
        using var f = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var w = new StreamWriter(f);
        w.Write(content);
    }

    public void Dispose()
    {
        foreach (var leaf in _leaves.Values)
            if (leaf.IsValueCreated) leaf.Value.Dispose();
        _caKey.Dispose();
        _ca.Dispose();
    }
}
