using System.Net;
using Hive.Core.Config;
using Hive.Core.Egress;

namespace Hive.Core.Tests.Egress;

public class IpLiteralTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("127.1", "127.0.0.1")]
    [InlineData("127.0.1", "127.0.0.1")]
    [InlineData("127.65535", "127.0.255.255")]
    [InlineData("127.16777215", "127.255.255.255")]
    [InlineData("127.0.65535", "127.0.255.255")]
    [InlineData("0x7f.1", "127.0.0.1")]
    [InlineData("0X7F.1", "127.0.0.1")]
    [InlineData("0x7F.0.0.0x1", "127.0.0.1")]
    [InlineData("0x7f000001", "127.0.0.1")]
    [InlineData("0X7F000001", "127.0.0.1")]
    [InlineData("0x00007f000001", "127.0.0.1")]
    [InlineData("0177.0.0.1", "127.0.0.1")]
    [InlineData("0177.1", "127.0.0.1")]
    [InlineData("017700000001", "127.0.0.1")]
    [InlineData("2130706433", "127.0.0.1")]
    [InlineData("127.0.0.1.", "127.0.0.1")]
    [InlineData("2130706433.", "127.0.0.1")]
    [InlineData("0", "0.0.0.0")]
    [InlineData("0x", "0.0.0.0")]
    [InlineData("0x.0x.0x.0x", "0.0.0.0")]
    [InlineData("00", "0.0.0.0")]
    [InlineData("4294967295", "255.255.255.255")]
    [InlineData("0xffffffff", "255.255.255.255")]
    [InlineData("037777777777", "255.255.255.255")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("0xa9.0xfe.0xa9.0xfe", "169.254.169.254")]
    [InlineData("0251.0376.0251.0376", "169.254.169.254")]
    [InlineData("2852039166", "169.254.169.254")]
    [InlineData("169.254.43518", "169.254.169.254")]
    [InlineData("169.16689662", "169.254.169.254")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("010.0.0.1", "8.0.0.1")]
    [InlineData("[::1]", "::1")]
    [InlineData("::1", "::1")]
    [InlineData("[::]", "::")]
    [InlineData("[::ffff:127.0.0.1]", "127.0.0.1")]
    [InlineData("[::ffff:7f00:1]", "127.0.0.1")]
    [InlineData("[::FFFF:7F00:0001]", "127.0.0.1")]
    [InlineData("[0:0:0:0:0:ffff:7f00:1]", "127.0.0.1")]
    [InlineData("[::ffff:169.254.169.254]", "169.254.169.254")]
    [InlineData("[::ffff:a9fe:a9fe]", "169.254.169.254")]
    [InlineData("[2001:DB8::1]", "2001:db8::1")]
    [InlineData("[2001:0db8:0000:0000:0000:0000:0000:0001]", "2001:db8::1")]
    [InlineData("[::127.0.0.1]", "::127.0.0.1")]
    [InlineData("[64:ff9b::7f00:1]", "64:ff9b::7f00:1")]
    [InlineData("[fd00:ec2::254]", "fd00:ec2::254")]
    public void ParsesEverySpelling(string host, string expected)
    {
        Assert.True(IpLiteral.TryParseLoose(host, out var address), host);
        Assert.Equal(IPAddress.Parse(expected), address);
        Assert.True(EgressHost.TryCanonicalize(host, out var canonical, out var ip));
        Assert.Equal(IPAddress.Parse(expected).ToString(), canonical);
        Assert.Equal(address, ip);
    }

    [Theory]
    // names
    [InlineData("example.com")]
    [InlineData("localhost")]
    [InlineData("0x7f.example")]
    [InlineData("127.0.0.1.example")]
    [InlineData("1.2.3.x")]
    [InlineData("0xg")]
    [InlineData("x")]
    // no address: out of range, too many parts, bad digits, empty parts
    [InlineData("")]
    [InlineData(".")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.0.0.1")]
    [InlineData("1.256.0.1")]
    [InlineData("1.2.3.256")]
    [InlineData("1.2.65536")]
    [InlineData("1.16777216")]
    [InlineData("4294967296")]
    [InlineData("0x100000000")]
    [InlineData("040000000000")]
    [InlineData("08.0.0.1")]
    [InlineData("09")]
    [InlineData("1..2")]
    [InlineData(".1.2.3")]
    [InlineData("1.2.3.4..")]
    [InlineData("99999999999999999999999")]
    [InlineData("1.2.3.4 ")]
    [InlineData(" 1.2.3.4")]
    [InlineData("+1.2.3.4")]
    [InlineData("-1")]
    [InlineData("1e3")]
    // IPv6 junk
    [InlineData("[::1")]
    [InlineData("::1]")]
    [InlineData("[]")]
    [InlineData("[1.2.3.4]")]
    [InlineData("[::1]:80")]
    [InlineData("[fe80::1%eth0]")]
    [InlineData("fe80::1%25eth0")]
    [InlineData("[::g]")]
    [InlineData("[:::1]")]
    [InlineData("[1:2:3:4:5:6:7:8:9]")]
    [InlineData("[ ::1]")]
    public void RejectsWhatIsNoAddress(string host) => Assert.False(IpLiteral.TryParseLoose(host, out _), host);

    [Theory]
    [InlineData("1.2.3.4.5", true)]
    [InlineData("08.0.0.1", true)]
    [InlineData("example.0x10", true)]
    [InlineData("example.0X", true)]
    [InlineData("example.123", true)]
    [InlineData("example.123.", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("example.com", false)]
    [InlineData("example.0xg", false)]
    [InlineData("a1", false)]
    [InlineData("1a", false)]
    [InlineData("", false)]
    [InlineData(".", false)]
    public void EndsInNumberLikeTheUrlStandard(string host, bool expected) => Assert.Equal(expected, IpLiteral.EndsInNumber(host));
}

public class EgressHostTests
{
    [Theory]
    [InlineData("api.github.com", "api.github.com")]
    [InlineData("API.GitHub.COM", "api.github.com")]
    [InlineData("api.github.com.", "api.github.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("BÜCHER.Example.", "xn--bcher-kva.example")]
    [InlineData("XN--BCHER-KVA.example", "xn--bcher-kva.example")]
    [InlineData("_srv.example", "_srv.example")]
    [InlineData("a-b.example", "a-b.example")]
    [InlineData("localhost", "localhost")]
    [InlineData("0x7f.1", "127.0.0.1")]
    [InlineData("[::ffff:7f00:1]", "127.0.0.1")]
    [InlineData("::1", "::1")]
    public void Canonicalises(string raw, string expected)
    {
        Assert.True(EgressHost.TryCanonicalize(raw, out var host, out _));
        Assert.Equal(expected, host);
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("*.example.com")]
    [InlineData("10.0.0.0/8")]
    [InlineData("example.com:443")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("-a.example")]
    [InlineData("a-.example")]
    [InlineData("example.0x10")]
    [InlineData("1.2.3.4.5")]
    [InlineData("[::1")]
    [InlineData("exa$mple.com")]
    [InlineData("example.com..")]
    [InlineData("a\u200d.example")]
    public void RejectsInvalidHosts(string raw) => Assert.False(EgressHost.TryCanonicalize(raw, out _, out _), raw);

    [Fact]
    public void CanonicalNamesAreReturnedWithoutCopying()
    {
        const string raw = "api.github.com";
        Assert.True(EgressHost.TryCanonicalize(raw, out var host, out _));
        Assert.Same(raw, host);
    }

    [Fact]
    public void TheFastPathAgreesWithHostPattern()
    {
        // The allocation-free check must accept exactly the names HostPattern returns unchanged (except wildcards, which
        // are rule-only forms, and names ending in a hex number, which the URL standard makes invalid).
        var label63 = new string('a', 63);
        var samples = new[]
        {
            "a", "a.b", "api.github.com", "x_y.z", "a-b.c", "1a.b2", "xn--bcher-kva.example", "a.b.c.d.e.f", "localhost",
            $"{label63}.com", $"{label63}a.com", "A.b", "a.B", "a.", "a..b", ".a", "-a", "a-", "a.-b", "a.b-", "a b", "a.1",
            "1.2", "a.0x1", "a.0xz", "a*b", "*.a", "a/b", "a:b", "é.a", "a.é", "_", "__", "-", "0", "a.b_", "a.b.",
            string.Join('.', Enumerable.Repeat(label63, 4)), string.Join('.', Enumerable.Repeat("a", 127)),
        };
        foreach (var name in samples)
        {
            var fast = EgressHost.IsCanonicalName(name);
            var slow = HostPattern.TryNormalize(name, out var normalized, out _) && normalized == name && !name.Contains('*')
                && !IpLiteral.EndsInNumber(name);
            Assert.True(fast == slow, $"{name}: fast {fast}, HostPattern {slow}");
        }
    }

    [Theory]
    [InlineData("example.com", "example.com", null)]
    [InlineData("example.com:8080", "example.com", 8080)]
    [InlineData("example.com:", "example.com", null)]
    [InlineData("[::1]", "[::1]", null)]
    [InlineData("[::1]:443", "[::1]", 443)]
    [InlineData("127.0.0.1:80", "127.0.0.1", 80)]
    public void SplitsHostAndPort(string authority, string host, int? port)
    {
        Assert.True(EgressHost.TrySplitHostPort(authority, out var h, out var p));
        Assert.Equal(host, h);
        Assert.Equal(port, p);
    }

    [Theory]
    [InlineData("")]
    [InlineData("::1")]
    [InlineData("[::1]x")]
    [InlineData("[::1")]
    [InlineData("a:b:c")]
    [InlineData("x.com:0")]
    [InlineData("x.com:65536")]
    [InlineData("x.com:123456")]
    [InlineData("x.com:-1")]
    [InlineData("x.com: 80")]
    [InlineData(":80")]
    public void RejectsBadAuthorities(string authority) => Assert.False(EgressHost.TrySplitHostPort(authority, out _, out _));
}
