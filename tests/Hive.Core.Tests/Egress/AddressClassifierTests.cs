using System.Net;
using Hive.Core.Egress;

namespace Hive.Core.Tests.Egress;

public class AddressClassifierTests
{
    [Theory]
    // IPv4 ranges
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.255.254", "loopback")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("10.255.255.255", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.0.1", "link-local")]
    [InlineData("169.254.255.255", "link-local")]
    [InlineData("100.64.0.1", "cgnat")]
    [InlineData("100.127.255.255", "cgnat")]
    [InlineData("169.254.169.254", "metadata")]
    [InlineData("169.254.170.2", "metadata")]
    [InlineData("169.254.170.23", "metadata")]
    [InlineData("169.254.169.123", "metadata")]
    [InlineData("169.254.169.253", "metadata")]
    [InlineData("100.100.100.200", "metadata")]
    [InlineData("168.63.129.16", "metadata")]
    [InlineData("192.0.0.192", "metadata")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.250", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("255.255.255.254", "reserved")]
    [InlineData("192.0.0.8", "reserved")]
    [InlineData("192.88.99.1", "reserved")]
    [InlineData("198.18.0.1", "benchmark")]
    [InlineData("198.19.255.255", "benchmark")]
    [InlineData("192.0.2.1", "documentation")]
    [InlineData("198.51.100.7", "documentation")]
    [InlineData("203.0.113.9", "documentation")]
    // IPv4 neighbours that are public
    [InlineData("8.8.8.8", null)]
    [InlineData("1.1.1.1", null)]
    [InlineData("11.0.0.1", null)]
    [InlineData("9.255.255.255", null)]
    [InlineData("172.15.255.255", null)]
    [InlineData("172.32.0.0", null)]
    [InlineData("192.167.255.255", null)]
    [InlineData("192.169.0.0", null)]
    [InlineData("100.63.255.255", null)]
    [InlineData("100.128.0.0", null)]
    [InlineData("169.253.255.255", null)]
    [InlineData("126.255.255.255", null)]
    [InlineData("128.0.0.0", null)]
    [InlineData("198.17.255.255", null)]
    [InlineData("198.20.0.0", null)]
    [InlineData("223.255.255.255", null)]
    [InlineData("1.0.0.0", null)]
    [InlineData("168.63.129.17", null)]
    // IPv6 ranges
    [InlineData("::1", "loopback")]
    [InlineData("::", "unspecified")]
    [InlineData("fc00::1", "private")]
    [InlineData("fd12:3456::1", "private")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("febf:ffff::1", "link-local")]
    [InlineData("fec0::1", "private")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("fd00:ec2::254", "metadata")]
    [InlineData("fd00:ec2::23", "metadata")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("2001:2::1", "benchmark")]
    [InlineData("100::1", "reserved")]
    [InlineData("2001:10::1", "reserved")]
    [InlineData("2001:20::1", "reserved")]
    [InlineData("5f00::1", "reserved")]
    [InlineData("::1:0:0:1", "reserved")]
    [InlineData("2606:4700::1111", null)]
    [InlineData("2a00:1450:4001::200e", null)]
    [InlineData("fbff:ffff::1", null)]
    [InlineData("fe00::1", null)]
    // IPv4-mapped ::ffff:0:0/96
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:7f00:1", "loopback")]
    [InlineData("::ffff:169.254.169.254", "metadata")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("::ffff:100.100.100.200", "metadata")]
    [InlineData("::ffff:8.8.8.8", null)]
    // IPv4-compatible ::/96
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("::169.254.169.254", "metadata")]
    [InlineData("::10.1.2.3", "private")]
    [InlineData("::2", "unspecified")]
    [InlineData("::8.8.8.8", "reserved")]
    // NAT64 64:ff9b::/96
    [InlineData("64:ff9b::127.0.0.1", "loopback")]
    [InlineData("64:ff9b::a9fe:a9fe", "metadata")]
    [InlineData("64:ff9b::10.0.0.1", "private")]
    [InlineData("64:ff9b::100.64.0.1", "cgnat")]
    [InlineData("64:ff9b::8.8.8.8", null)]
    [InlineData("64:ff9b::1:808:808", "reserved")]
    [InlineData("64:ff9a::808:808", "reserved")]
    // local-use NAT64 64:ff9b:1::/48: always forbidden (the site chooses where the IPv4 address sits)
    [InlineData("64:ff9b:1::a9fe:a9fe", "metadata")]
    [InlineData("64:ff9b:1:ab:cd::7f00:1", "loopback")]
    [InlineData("64:ff9b:1:a9fe:a9:fe00::", "unspecified")]
    [InlineData("64:ff9b:1::808:808", "reserved")]
    [InlineData("64:ff9b:1:ffff:ffff:ffff:808:808", "reserved")]
    // 6to4 2002::/16
    [InlineData("2002:7f00:1::1", "loopback")]
    [InlineData("2002:a9fe:a9fe::", "metadata")]
    [InlineData("2002:c0a8:101::1", "private")]
    [InlineData("2002:0a00:0001::", "private")]
    [InlineData("2002:808:808::1", null)]
    // Teredo 2001::/32: server in bits 32-63, client XOR-ed in the last 32 bits
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback")]
    [InlineData("2001:0:4136:e378:8000:63bf:5601:5601", "metadata")]
    [InlineData("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private")]
    [InlineData("2001:0:7f00:1:8000:63bf:f7f7:f7f7", "loopback")]
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7", null)]
    // ISATAP interface ids
    [InlineData("2001:4860::5efe:7f00:1", "loopback")]
    [InlineData("2001:4860::200:5efe:a9fe:a9fe", "metadata")]
    [InlineData("2001:4860::5efe:a00:1", "private")]
    [InlineData("fe80::5efe:808:808", "link-local")]
    [InlineData("2001:4860::5efe:808:808", null)]
    [InlineData("2001:4860::5eff:a00:1", null)]
    public void Classifies(string address, string? category)
    {
        Assert.Equal(category, AddressClassifier.Classify(IPAddress.Parse(address)));
        var forbidden = AddressClassifier.Default.IsForbiddenUpstream(IPAddress.Parse(address), out var reason);
        Assert.Equal(category is not null, forbidden);
        Assert.Equal(category, reason);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.0/8", false)]
    [InlineData("127.0.0.5", "127.0.0.1/32", true)]
    [InlineData("127.0.0.1", "127.0.0.1", false)]
    [InlineData("::ffff:127.0.0.1", "127.0.0.0/8", false)]
    [InlineData("127.0.0.1", "::ffff:127.0.0.0/104", false)]
    [InlineData("::1", "127.0.0.0/8", true)]
    [InlineData("64:ff9b::7f00:1", "127.0.0.0/8", true)]
    [InlineData("2002:7f00:1::1", "127.0.0.0/8", true)]
    [InlineData("64:ff9b::7f00:1", "64:ff9b::/96", false)]
    [InlineData("10.1.2.3", "10.1.0.0/16", false)]
    [InlineData("10.2.0.1", "10.1.0.0/16", true)]
    [InlineData("10.1.2.3", "10.1.2.3/16", false)]
    [InlineData("169.254.169.254", "10.0.0.0/8", true)]
    [InlineData("169.254.169.254", "169.254.0.0/16", false)]
    [InlineData("fd12::1", "fd00::/8", false)]
    [InlineData("fd12::1", "[fd12::]/16", false)]
    [InlineData("fe80::1", "fd00::/8", true)]
    [InlineData("::1", "::1/128", false)]
    public void AllowPrivateExemptsRanges(string address, string allowed, bool forbidden)
    {
        var classifier = AddressClassifier.Create([allowed], []);
        Assert.Equal(forbidden, classifier.IsForbiddenUpstream(IPAddress.Parse(address), out _));
    }

    [Theory]
    [InlineData("203.0.114.10", "host")]
    [InlineData("::ffff:203.0.114.10", "host")]
    [InlineData("64:ff9b::cb00:720a", "host")]
    [InlineData("2002:cb00:720a::1", "host")]
    [InlineData("2606:4700::10", "host")]
    [InlineData("203.0.114.11", null)]
    [InlineData("2606:4700::11", null)]
    public void HostAddressesAreForbidden(string address, string? reason)
    {
        var classifier = AddressClassifier.Create([], [IPAddress.Parse("203.0.114.10"), IPAddress.Parse("2606:4700::10")]);
        Assert.Equal(reason is not null, classifier.IsForbiddenUpstream(IPAddress.Parse(address), out var actual));
        Assert.Equal(reason, actual);
    }

    /// <summary>
    /// What the proxy never dials, whatever upstream.allowPrivate says: the daemon's own services, the host's own
    /// non-loopback addresses, the sandboxes' network, unspecified. Loopback on other ports stays exemptable (test upstreams).
    /// Rows: allowPrivate | address | port | expected reason (or "ok").
    /// </summary>
    private const string NeverDialled = """
        0.0.0.0/0        | 203.0.114.10       | 443   | host
        203.0.114.0/24   | 203.0.114.10       | 443   | host
        203.0.114.0/24   | ::ffff:203.0.114.10 | 443  | host
        ::/0             | 64:ff9b::cb00:720a | 443   | host
        ::/0             | 2606:4700::10      | 443   | host
        0.0.0.0/0        | 10.201.0.1         | 443   | sandbox-network
        0.0.0.0/0        | 10.201.3.7         | 22    | sandbox-network
        ::/0             | ::ffff:10.201.0.1  | 443   | sandbox-network
        ::/0             | 64:ff9b::ac9:1     | 443   | sandbox-network
        0.0.0.0/0        | 0.0.0.0            | 8080  | unspecified
        0.0.0.0/0        | 0.1.2.3            | 8080  | unspecified
        ::/0             | ::                 | 8080  | unspecified
        127.0.0.0/8      | 127.0.0.1          | 7878  | daemon
        127.0.0.0/8      | 127.0.0.2          | 7878  | daemon
        127.0.0.0/8      | ::ffff:127.0.0.1   | 7878  | daemon
        ::1              | ::1                | 7878  | daemon
        127.0.0.0/8      | 127.0.0.1          | 40001 | daemon
        127.0.0.0/8      | 127.0.0.1          | 40002 | daemon
        0.0.0.0/0        | 203.0.114.10       | 40002 | daemon
        127.0.0.0/8      | 127.0.0.1          | 8443  | ok
        127.0.0.0/8      | 127.0.0.9          | 8080  | ok
        0.0.0.0/0        | 203.0.114.11       | 7878  | ok
        0.0.0.0/0        | 10.202.0.1         | 443   | ok
        ::1              | ::1                | 8443  | ok
                         | 127.0.0.1          | 8443  | host
                         | 10.201.0.1         | 443   | sandbox-network
        """;

    public static TheoryData<string, string, int, string> NeverDialledCases()
    {
        var data = new TheoryData<string, string, int, string>();
        foreach (var line in NeverDialled.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var p = line.Split('|', StringSplitOptions.TrimEntries);
            data.Add(p[0], p[1], int.Parse(p[2]), p[3]);
        }
        return data;
    }

    [Theory, MemberData(nameof(NeverDialledCases))]
    public void The_daemon_the_host_and_the_sandboxes_are_never_dialled_whatever_allowPrivate_says(string allowPrivate, string address, int port, string expected)
    {
        var classifier = AddressClassifier.Create(allowPrivate.Length == 0 ? [] : [allowPrivate],
            [IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("203.0.114.10"), IPAddress.Parse("2606:4700::10"), IPAddress.Parse("10.201.0.1")],
            neverDial: [IPNetwork.Parse("10.201.0.0/16")], daemonPorts: [7878, 40001, 40002]);
        var forbidden = classifier.IsForbiddenUpstream(IPAddress.Parse(address), port, out var reason);
        Assert.Equal(expected, forbidden ? reason : "ok");
    }

    [Fact]
    public void AHostAddressInAPrivateRangeIsReportedAsHost()
    {
        var classifier = AddressClassifier.Create([], [IPAddress.Parse("10.0.0.5")]);
        Assert.True(classifier.IsForbiddenUpstream(IPAddress.Parse("10.0.0.5"), out var reason));
        Assert.Equal(AddressCategory.Host, reason);
    }

    [Fact]
    public void AcceptsSocketAddressBytes()
    {
        Assert.True(AddressClassifier.Default.IsForbiddenUpstream([169, 254, 169, 254], out var reason));
        Assert.Equal("metadata", reason);
        Assert.False(AddressClassifier.Default.IsForbiddenUpstream([8, 8, 8, 8], out _));
        Assert.Throws<ArgumentException>(() => AddressClassifier.Default.IsForbiddenUpstream([1, 2, 3], out _));
    }

    [Theory]
    [InlineData("10.0.0.0/8")]
    [InlineData("10.1.2.3/8")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("fd00::/8")]
    [InlineData("[fd00::]/8")]
    public void ParsesRanges(string text) => Assert.NotNull(AddressClassifier.ParseRange(text));

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.0/33")]
    [InlineData("::/129")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("example.com")]
    [InlineData("fe80::1%eth0/64")]
    public void RejectsBadRanges(string text)
    {
        Assert.Null(AddressClassifier.ParseRange(text));
        if (text.Length > 0) Assert.Throws<FormatException>(() => AddressClassifier.Create([text], []));
    }

    [Fact]
    public void DecidingDoesNotAllocate()
    {
        var classifier = AddressClassifier.Create(["127.0.0.0/8"], [IPAddress.Parse("203.0.114.10")]);
        var addresses = new[] { "8.8.8.8", "169.254.169.254", "2002:a9fe:a9fe::", "2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1" }
            .Select(IPAddress.Parse).ToArray();
        foreach (var a in addresses) classifier.IsForbiddenUpstream(a, out _);
        var forbidden = 0;
        Assert.Equal(0, Allocations.Quietest(() =>
        {
            forbidden = 0;
            for (var i = 0; i < 10_000; i++)
                if (classifier.IsForbiddenUpstream(addresses[i % addresses.Length], out _)) forbidden++;
        }));
        Assert.Equal(6_000, forbidden);
    }
}
