using System.Net.Security;
using Hive.Egress.Proxy;

namespace Hive.Egress.Tests;

public class AlpnTests
{
    [Theory]
    [InlineData(new string[0], new[] { "http/1.1" })]
    [InlineData(new[] { "h2", "http/1.1" }, new[] { "h2", "http/1.1" })]
    [InlineData(new[] { "http/1.1", "h2" }, new[] { "h2", "http/1.1" })] // our preference order, as before
    [InlineData(new[] { "h2" }, new[] { "h2" })]
    [InlineData(new[] { "http/1.1" }, new[] { "http/1.1" })]
    [InlineData(new[] { "spdy/3", "h2" }, new[] { "h2" })]
    public void Offers_the_http_versions_the_client_speaks(string[] alpn, string[] expected) =>
        Assert.Equal(expected, EgressConnectionMiddleware.HttpProtocolsOffered(alpn)!.Select(p => p.ToString()));

    [Theory]
    [InlineData("imap")]
    [InlineData("postgresql,H2")] // ALPN ids are case-sensitive
    public void Other_protocols_are_not_http(string alpn) => Assert.Null(EgressConnectionMiddleware.HttpProtocolsOffered(alpn.Split(',')));
}
