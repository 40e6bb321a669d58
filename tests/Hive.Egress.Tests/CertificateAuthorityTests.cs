using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hive.Egress.Tls;

namespace Hive.Egress.Tests;

public sealed class CertificateAuthorityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-ca-").FullName;

    [Fact]
    public void The_ca_is_a_p256_ca_with_a_private_key_file_only_root_can_read()
    {
        using var ca = CertificateAuthority.LoadOrCreate(_dir);
        var basic = ca.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.CertificateAuthority);
        Assert.True(basic.Critical);
        Assert.True(ca.Certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.Equal(256, ca.Certificate.GetECDsaPublicKey()!.KeySize);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "ca.key")));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", ca.CertificatePem);
    }

    [Fact]
    public void The_same_ca_is_loaded_again()
    {
        string thumbprint;
        using (var first = CertificateAuthority.LoadOrCreate(_dir)) thumbprint = first.Certificate.Thumbprint;
        using var second = CertificateAuthority.LoadOrCreate(_dir);
        Assert.Equal(thumbprint, second.Certificate.Thumbprint);
    }

    [Theory]
    [InlineData("api.example.test")]
    [InlineData("127.0.0.1")]
    [InlineData("2001:db8::1")]
    public void Leaves_chain_to_the_ca_and_name_their_host(string host)
    {
        using var ca = CertificateAuthority.LoadOrCreate(_dir);
        var leaf = ca.LeafFor(host);
        Assert.True(leaf.HasPrivateKey);
        Assert.NotNull(leaf.GetECDsaPrivateKey());
        Assert.Equal(256, leaf.GetECDsaPublicKey()!.KeySize);
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, leaf.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Equal(host, leaf.GetNameInfo(X509NameType.DnsName, false) is { Length: > 0 } dns && !host.Contains(':') && !char.IsDigit(host[0]) ? dns : host);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.True(leaf.MatchesHostname(host));
    }

    [Fact]
    public void Leaves_are_cached_per_host()
    {
        using var ca = CertificateAuthority.LoadOrCreate(_dir);
        Assert.Same(ca.LeafFor("a.test"), ca.LeafFor("A.TEST"));
        Assert.NotSame(ca.LeafFor("a.test"), ca.LeafFor("b.test"));
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
