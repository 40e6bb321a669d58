using static Hive.Core.Tests.Egress.EgressDsl;

namespace Hive.Core.Tests.Egress;

/// <summary>The DNS question: synthetic address (true) or NXDOMAIN (false).</summary>
public class CouldAllowNameTests
{
    [Theory]
    [InlineData("", "example.com", false)]
    [InlineData("allow example.com", "example.com", true)]
    [InlineData("allow example.com", "EXAMPLE.com", true)]
    [InlineData("allow example.com", "example.com.", true)]
    [InlineData("allow example.com", "Example.Com.", true)]
    [InlineData("allow example.com", "www.example.com", false)]
    [InlineData("allow example.com", "example.com.evil.test", false)]
    [InlineData("allow example.com", "example.co", false)]
    [InlineData("allow *.example.com", "example.com", true)]
    [InlineData("allow *.example.com", "a.b.example.com.", true)]
    [InlineData("allow *.example.com", "evilexample.com", false)]
    [InlineData("allow *.example.com", "example.com.evil.test", false)]
    [InlineData("allow *.com", "evilcom", false)]
    [InlineData("allow *", "anything.test", true)]
    [InlineData("allow *", "a", true)]
    [InlineData("allow * ports=443", "anything.test", true)]
    [InlineData("allow * methods=GET paths=/x", "anything.test", true)]
    [InlineData("allow bücher.example", "xn--bcher-kva.example", true)]
    [InlineData("allow bücher.example", "bücher.example", true)]
    [InlineData("allow bücher.example", "BÜCHER.example.", true)]
    // IP and CIDR rules never allow a name
    [InlineData("allow 10.0.0.0/8", "internal.corp", false)]
    [InlineData("allow 0.0.0.0/0", "example.com", false)]
    [InlineData("allow ::/0", "example.com", false)]
    [InlineData("allow 93.184.216.34", "example.com", false)]
    // deny rules
    [InlineData("deny example.com; allow *", "example.com", false)]
    [InlineData("deny example.com; allow *", "www.example.com", true)]
    [InlineData("deny *.example.com; allow *", "www.example.com", false)]
    [InlineData("deny *; allow example.com", "example.com", false)]
    [InlineData("allow example.com; deny *", "example.com", true)]
    [InlineData("deny example.com ports=80; allow example.com", "example.com", true)]
    [InlineData("deny example.com paths=/admin/**; allow example.com", "example.com", true)]
    [InlineData("deny example.com methods=POST; allow example.com", "example.com", true)]
    [InlineData("deny example.com ports=80; allow example.com ports=80", "example.com", true)]
    [InlineData("deny 10.0.0.0/8; allow *", "internal.corp", true)]
    [InlineData("deny example.com", "example.com", false)]
    // never a synthetic address for an IP literal or an invalid name
    [InlineData("allow *", "127.0.0.1", false)]
    [InlineData("allow *", "0x7f000001", false)]
    [InlineData("allow *", "2130706433", false)]
    [InlineData("allow *", "127.1", false)]
    [InlineData("allow *", "1.2.3.4.5", false)]
    [InlineData("allow *", "example.0x10", false)]
    [InlineData("allow *", "::1", false)]
    [InlineData("allow *", "[::1]", false)]
    [InlineData("allow *", "", false)]
    [InlineData("allow *", ".", false)]
    [InlineData("allow *", "a..b", false)]
    [InlineData("allow *", "a b.com", false)]
    [InlineData("allow *", "-a.com", false)]
    [InlineData("allow *", "*.example.com", false)]
    [InlineData("allow *", "example.com..", false)]
    public void Answers(string rules, string name, bool expected) =>
        Assert.Equal(expected, Policy(rules).CouldAllowName(name));

    [Fact]
    public void LongNamesAndLabels()
    {
        var policy = Policy("allow *");
        var label63 = new string('a', 63);
        Assert.True(policy.CouldAllowName($"{label63}.com"));
        Assert.False(policy.CouldAllowName($"{label63}a.com"));
        Assert.True(policy.CouldAllowName(string.Join('.', Enumerable.Repeat("a", 127))));
        Assert.False(policy.CouldAllowName(string.Join('.', Enumerable.Repeat("a", 128))));
    }
}
