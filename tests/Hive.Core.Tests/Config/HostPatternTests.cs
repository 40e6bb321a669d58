using Hive.Core.Config;

namespace Hive.Core.Tests.Config;

public class HostPatternTests
{
    [Theory]
    [InlineData("*", "*")]
    [InlineData("api.github.com", "api.github.com")]
    [InlineData("API.GitHub.COM", "api.github.com")]
    [InlineData("api.github.com.", "api.github.com")]
    [InlineData("localhost", "localhost")]
    [InlineData("_dmarc.example.com", "_dmarc.example.com")]
    [InlineData("a-b.c_d.example", "a-b.c_d.example")]
    [InlineData("0x7f000001", "0x7f000001")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("BÜCHER.Example.", "xn--bcher-kva.example")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("XN--BCHER-KVA.example", "xn--bcher-kva.example")]
    [InlineData("例え.テスト", "xn--r8jz45g.xn--zckzah")]
    [InlineData("*.example.com", "*.example.com")]
    [InlineData("*.Example.COM.", "*.example.com")]
    [InlineData("*.bücher.example", "*.xn--bcher-kva.example")]
    [InlineData("*.com", "*.com")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("10.0.0.1.", "10.0.0.1")]
    [InlineData("::1", "::1")]
    [InlineData("[::1]", "::1")]
    [InlineData("2001:DB8::1", "2001:db8::1")]
    [InlineData("[2001:db8:0:0:0:0:0:1]", "2001:db8::1")]
    [InlineData("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3")]
    [InlineData("10.1.0.0/16", "10.1.0.0/16")]
    [InlineData("10.1.2.3/16", "10.1.0.0/16")]
    [InlineData("10.1.2.3/32", "10.1.2.3/32")]
    [InlineData("192.168.77.200/20", "192.168.64.0/20")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("1.2.3.4/0", "0.0.0.0/0")]
    [InlineData("2001:db8::1/32", "2001:db8::/32")]
    [InlineData("[2001:DB8::ff]/120", "2001:db8::/120")]
    [InlineData("fd00::1/7", "fc00::/7")]
    [InlineData("::/0", "::/0")]
    public void Normalises(string input, string expected)
    {
        Assert.True(HostPattern.TryNormalize(input, out var normalized, out var error), error);
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void LongestValidNameIsAccepted()
    {
        var label = new string('a', 63);
        var name = $"{label}.{label}.{label}.{new string('b', 61)}";
        Assert.Equal(253, name.Length);
        Assert.True(HostPattern.TryNormalize(name, out var normalized, out _));
        Assert.Equal(name, normalized);
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData(".", "must not be empty")]
    [InlineData("*.", "must not be empty")]
    [InlineData("exa mple.com", "must not contain whitespace or control characters")]
    [InlineData(" a.com", "must not contain whitespace")]
    [InlineData("a.com\n", "must not contain whitespace")]
    [InlineData("a.*.com", "may use * only alone or as the whole first label")]
    [InlineData("*example.com", "may use * only alone or as the whole first label")]
    [InlineData("**", "may use * only alone or as the whole first label")]
    [InlineData("*.*.com", "is not a valid host name")]
    [InlineData("example.com:443", "must not include a port")]
    [InlineData("10.0.0.1:80", "must not include a port")]
    [InlineData("1.2.3", "is not a valid IPv4 address")]
    [InlineData("1.2.3.4.5", "is not a valid IPv4 address")]
    [InlineData("256.1.1.1", "is not a valid IPv4 address")]
    [InlineData("1.2.3.1234", "is not a valid IPv4 address")]
    [InlineData("0x7f.0.0.1", "is not a valid IPv4 address")]
    [InlineData("2130706433", "is not a valid IPv4 address")]
    [InlineData("010.0.0.1", "leading zeros are not allowed")]
    [InlineData("example.123", "is not a valid IPv4 address")]
    [InlineData("*.1.2.3.4", "the last label must not be all digits")]
    [InlineData("-a.com", "must not start or end with -")]
    [InlineData("a-.com", "must not start or end with -")]
    [InlineData("a..com", "every label between dots must be 1-63 characters")]
    [InlineData(".a.com", "every label between dots must be 1-63 characters")]
    [InlineData("a.com..", "every label between dots must be 1-63 characters")]
    [InlineData("a@b.com", "labels may contain only letters, digits, - and _")]
    [InlineData("http://a.com", "is not a valid CIDR")]
    [InlineData("a.com/path", "is not a valid CIDR")]
    [InlineData("ex\u200Dample.com", "is not a valid internationalised host name")]
    [InlineData("ｅｘａｍｐｌｅ.com", "is not a valid internationalised host name")]
    [InlineData("☃.net", "is not a valid internationalised host name")]
    [InlineData("fe80::1%eth0", "zone ids")]
    [InlineData("[::1", "has an opening [ without a closing ]")]
    [InlineData("[]", "is not a valid IPv6 address")]
    [InlineData("[10.0.0.1]", "is not a valid IPv6 address")]
    [InlineData("2001:db8::g", "is not a valid IPv6 address")]
    [InlineData("1:2:3:4:5:6:7:8:9", "is not a valid IPv6 address")]
    [InlineData("10.0.0.0/33", "the prefix length after / must be a number from 0 to 32")]
    [InlineData("2001:db8::/129", "the prefix length after / must be a number from 0 to 128")]
    [InlineData("10.0.0.0/", "the prefix length after / must be a number from 0 to 32")]
    [InlineData("10.0.0.0/-1", "the prefix length after / must be a number from 0 to 32")]
    [InlineData("10.0.0.0/8/8", "is not a valid CIDR")]
    [InlineData("10.0.0/8", "is not a valid CIDR")]
    [InlineData("example.com/16", "is not a valid CIDR")]
    [InlineData("/16", "is not a valid CIDR")]
    public void Rejects(string input, string message)
    {
        Assert.False(HostPattern.TryNormalize(input, out var normalized, out var error));
        Assert.Null(normalized);
        Assert.Contains(message, error);
    }

    [Fact]
    public void RejectsLabelsOver63AndNamesOver253()
    {
        Assert.False(HostPattern.TryNormalize(new string('a', 64) + ".com", out _, out var labelError));
        Assert.Contains("1-63 characters", labelError);
        var tooLong = string.Join(".", Enumerable.Repeat(new string('a', 63), 4));
        Assert.False(HostPattern.TryNormalize(tooLong, out _, out var lengthError));
        Assert.Contains("at most 253 characters", lengthError);
    }

    [Fact]
    public void GeneralErrorsListTheAllowedForms()
    {
        Assert.False(HostPattern.TryNormalize("a.*.com", out _, out var error));
        Assert.Contains("*.domain", error);
        Assert.Contains("CIDR (10.1.0.0/16)", error);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("*.xn--bcher-kva.example")]
    [InlineData("10.1.0.0/16")]
    [InlineData("2001:db8::1")]
    [InlineData("2001:db8::/32")]
    [InlineData("*")]
    public void NormalisedFormsAreFixedPoints(string host)
    {
        Assert.True(HostPattern.TryNormalize(host, out var normalized, out _));
        Assert.Equal(host, normalized);
    }
}
