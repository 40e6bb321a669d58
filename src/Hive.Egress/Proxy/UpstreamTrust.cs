using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Hive.Egress.Proxy;

/// <summary>Validates upstream certificates: the system roots, plus the extra roots of upstream.caBundle.</summary>
internal static class UpstreamTrust
{
    public static RemoteCertificateValidationCallback? Create(string? caBundle)
    {
        if (string.IsNullOrEmpty(caBundle)) return null; // the platform's default validation
        var extra = new X509Certificate2Collection();
        extra.ImportFromPemFile(caBundle);
        return (_, certificate, chain, errors) =>
        {
            if (errors == SslPolicyErrors.None) return true;
            if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null) return false; // a name mismatch is never forgiven
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(extra);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
                foreach (var element in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
    }
}
