using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hive.Host.Abstractions.Cluster;

/// <summary>
/// The cluster's certificates (what <c>hive cluster ca</c> and <c>hive cluster cert</c> write): a CA, and certificates
/// it signs for a role. ECDSA P-256 throughout. A peer is known by its chain to the CA and its role, never by host name
/// (pod addresses change), so one certificate may serve every host.
/// </summary>
public static class ClusterCertificates
{
    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    public static readonly TimeSpan CertLifetime = TimeSpan.FromDays(825);

    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>A new CA certificate with its private key.</summary>
    public static X509Certificate2 CreateCa(string name = "Hive cluster CA", DateTimeOffset? notBefore = null, TimeSpan? lifetime = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}, O=Hive"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var from = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5);
        return request.CreateSelfSigned(from, from + (lifetime ?? CaLifetime));
    }

    /// <summary>
    /// A certificate for <paramref name="role"/> signed by <paramref name="ca"/> (which must hold its key), usable for
    /// both server and client authentication; the role is in the subject OU and in a SAN URI <c>hive://role/ROLE</c>.
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, ClusterRole role, string? name = null, DateTimeOffset? notBefore = null, TimeSpan? lifetime = null)
    {
        if (!ca.HasPrivateKey) throw new ArgumentException("the CA certificate has no private key: give the CA's key to sign with", nameof(ca));
        var cn = string.IsNullOrWhiteSpace(name) ? "hive-" + ClusterRoles.Word(role) : name;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName($"CN={Escape(cn)}, OU={ClusterRoles.OrganizationalUnit(role)}, O=Hive");
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth), new Oid(ClientAuth)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(ClusterRoles.Uri(role)));
        // A DNS name too, for tools that insist on one; Hive itself never checks it.
        if (IsDnsName(cn)) san.AddDnsName(cn);
        request.CertificateExtensions.Add(san.Build());

        var from = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5);
        var until = from + (lifetime ?? CertLifetime);
        if (until > ca.NotAfter) until = ca.NotAfter;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issuerKey = ca.GetECDsaPrivateKey() ?? throw new ArgumentException("the CA's key is not an ECDSA key", nameof(ca));
        using var signed = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), from, until, serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>The roles a certificate carries in SAN URIs <c>hive://role/…</c>.</summary>
    public static IReadOnlyList<ClusterRole> RolesOf(X509Certificate2 cert)
    {
        var roles = new List<ClusterRole>();
        foreach (var ext in cert.Extensions)
        {
            if (ext.Oid?.Value != "2.5.29.17") continue;
            var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
            while (reader.HasData)
            {
                var tag = reader.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                {
                    var uri = reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6));
                    if (uri.StartsWith(ClusterRoles.UriPrefix, StringComparison.Ordinal)
                        && ClusterRoles.TryParse(uri[ClusterRoles.UriPrefix.Length..], out var role)) roles.Add(role);
                }
                else reader.ReadEncodedValue();
            }
        }
        return roles;
    }

    /// <summary>PEM files: the certificate, and its PKCS#8 private key.</summary>
    public static (string CertPem, string KeyPem) ToPem(X509Certificate2 cert)
    {
        using var key = cert.GetECDsaPrivateKey() ?? throw new ArgumentException("the certificate has no ECDSA private key", nameof(cert));
        return (cert.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    private static bool IsDnsName(string s) =>
        s.Length is > 0 and <= 253 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') && !s.StartsWith('.') && !s.StartsWith('-');

    private static string Escape(string s) => s.Contains(',') || s.Contains('"') || s.Contains('=') || s.Contains('+')
        ? "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""
        : s;
}
