using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hive.Host.Abstractions.Cluster;

namespace Hive.Remote.Tests;

public sealed class ClusterTlsTests : IDisposable
{
    private readonly X509Certificate2 _ca = ClusterCertificates.CreateCa();
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-tls-").FullName;

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private ClusterTls Controller() => ClusterTls.Create(_ca, ClusterCertificates.Issue(_ca, ClusterRole.Controller));

    [Fact]
    public void A_certificate_of_the_cluster_CA_with_the_expected_role_is_accepted()
    {
        using var tls = Controller();
        using var host = ClusterCertificates.Issue(_ca, ClusterRole.Host, "host-1");
        Assert.Equal(ClusterRole.Controller, tls.Role);
        Assert.True(tls.Accepts(host, ClusterRole.Host));
        Assert.Contains("OU=hive-host", host.Subject);
        Assert.Equal([ClusterRole.Host], ClusterCertificates.RolesOf(host));
        Assert.Equal("ECDsa", host.GetKeyAlgorithmParameters() is not null ? "ECDsa" : "");
        using var key = host.GetECDsaPublicKey()!;
        Assert.Equal(256, key.KeySize);
    }

    [Fact]
    public void A_certificate_from_another_CA_is_refused()
    {
        using var tls = Controller();
        using var other = ClusterCertificates.CreateCa();
        using var stranger = ClusterCertificates.Issue(other, ClusterRole.Host);
        Assert.False(tls.Accepts(stranger, ClusterRole.Host));
    }

    [Fact]
    public void A_certificate_with_the_wrong_role_is_refused()
    {
        using var tls = Controller();
        using var controller = ClusterCertificates.Issue(_ca, ClusterRole.Controller);
        Assert.False(tls.Accepts(controller, ClusterRole.Host));
        Assert.False(tls.Accepts(null, ClusterRole.Host));
    }

    [Fact]
    public void An_expired_or_not_yet_valid_certificate_is_refused()
    {
        using var tls = Controller();
        using var expired = ClusterCertificates.Issue(_ca, ClusterRole.Host, notBefore: DateTimeOffset.UtcNow.AddDays(-10), lifetime: TimeSpan.FromDays(1));
        using var future = ClusterCertificates.Issue(_ca, ClusterRole.Host, notBefore: DateTimeOffset.UtcNow.AddDays(1), lifetime: TimeSpan.FromDays(1));
        Assert.False(tls.Accepts(expired, ClusterRole.Host));
        Assert.False(tls.Accepts(future, ClusterRole.Host));
    }

    [Fact]
    public void A_self_signed_certificate_with_the_role_is_refused_and_so_is_the_CA_itself()
    {
        using var tls = Controller();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=hive-host, OU=hive-host, O=Hive", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("hive://role/host"));
        request.CertificateExtensions.Add(san.Build());
        using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.False(tls.Accepts(self, ClusterRole.Host));
        Assert.False(tls.Accepts(_ca, ClusterRole.Host));
    }

    [Fact]
    public void Load_reads_the_PEM_files_the_CLI_writes_and_names_the_setting_when_one_is_wrong()
    {
        using var cert = ClusterCertificates.Issue(_ca, ClusterRole.Host, "h");
        var (caPem, _) = ClusterCertificates.ToPem(_ca);
        var (certPem, keyPem) = ClusterCertificates.ToPem(cert);
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), caPem);
        File.WriteAllText(Path.Combine(_dir, "tls.crt"), certPem);
        File.WriteAllText(Path.Combine(_dir, "tls.key"), keyPem);
        using (var tls = ClusterTls.Load(Path.Combine(_dir, "ca.crt"), Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.key")))
        {
            Assert.Equal(ClusterRole.Host, tls.Role);
            Assert.True(tls.Certificate.HasPrivateKey);
            Assert.False(tls.Authority.HasPrivateKey);
        }

        var missing = Assert.Throws<InvalidOperationException>(() => ClusterTls.Load(Path.Combine(_dir, "nope.crt"), Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.key")));
        Assert.StartsWith("cluster.tls.ca:", missing.Message);
        var notCa = Assert.Throws<InvalidOperationException>(() => ClusterTls.Load(Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.key")));
        Assert.StartsWith("cluster.tls.ca:", notCa.Message);
        var noKey = Assert.Throws<InvalidOperationException>(() => ClusterTls.Load(Path.Combine(_dir, "ca.crt"), Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "none.key")));
        Assert.StartsWith("cluster.tls.key:", noKey.Message);

        using var other = ClusterCertificates.CreateCa();
        File.WriteAllText(Path.Combine(_dir, "other.crt"), ClusterCertificates.ToPem(other).CertPem);
        var foreign = Assert.Throws<InvalidOperationException>(() => ClusterTls.Load(Path.Combine(_dir, "other.crt"), Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.key")));
        Assert.StartsWith("cluster.tls.cert:", foreign.Message);
        Assert.Contains("not signed by the CA", foreign.Message);
    }
}
