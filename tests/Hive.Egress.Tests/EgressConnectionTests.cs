using System.Net;
using Hive.Core.Egress;
using Hive.Egress.Proxy;

namespace Hive.Egress.Tests;

public class EgressConnectionTests
{
    private static readonly SandboxEgress Sandbox = new("s", EgressPolicy.DenyAll);

    [Theory]
    [InlineData("api.example.test", null, 443, true, "api.example.test", "https://api.example.test")]
    [InlineData("api.example.test", null, 8443, true, "api.example.test:8443", "https://api.example.test:8443")]
    [InlineData("api.example.test", null, 80, false, "api.example.test", "http://api.example.test")]
    [InlineData("api.example.test", null, 443, false, "api.example.test:443", "http://api.example.test:443")]
    [InlineData("2001:db8::1", "2001:db8::1", 443, true, "[2001:db8::1]", "https://[2001:db8::1]")]
    [InlineData("203.0.113.7", "203.0.113.7", 8080, false, "203.0.113.7:8080", "http://203.0.113.7:8080")]
    public void Authority_and_origin_name_the_destination(string host, string? ip, int port, bool tls, string authority, string origin)
    {
        var c = new EgressConnection(Sandbox, host, ip is null ? null : IPAddress.Parse(ip), port, tls);
        Assert.Equal(authority, c.Authority);
        Assert.Equal(origin, c.Origin);
    }

    [Fact]
    public void The_upstream_uri_is_built_from_the_normalised_path_and_query_and_reused_while_they_repeat()
    {
        var c = new EgressConnection(Sandbox, "api.example.test", null, 8443, tls: true);
        var first = c.UpstreamUriFor("/v1/chat", "a=1");
        Assert.Equal("https://api.example.test:8443/v1/chat?a=1", first.AbsoluteUri);
        Assert.Same(first, c.UpstreamUriFor(new string("/v1/chat".AsSpan()), "a=1"));

        var other = c.UpstreamUriFor("/v1/chat", "a=2");
        Assert.Equal("https://api.example.test:8443/v1/chat?a=2", other.AbsoluteUri);
        Assert.Equal("https://api.example.test:8443/v1/chat", c.UpstreamUriFor("/v1/chat", null).AbsoluteUri);
        Assert.Same(c.UpstreamUriFor("/v1/chat", ""), c.UpstreamUriFor("/v1/chat", null)); // an empty query is no query
        Assert.Equal("https://api.example.test:8443/v2?x", c.UpstreamUriFor("/v2", "x").AbsoluteUri);
    }

    [Fact]
    public void Concurrent_streams_always_get_the_uri_of_their_own_request()
    {
        var c = new EgressConnection(Sandbox, "api.example.test", null, 443, tls: true);
        Parallel.For(0, 20_000, i =>
        {
            var path = $"/p{i % 7}";
            var query = i % 3 == 0 ? null : $"q={i % 5}";
            Assert.Equal($"https://api.example.test{path}{(query is null ? "" : "?" + query)}", c.UpstreamUriFor(path, query).AbsoluteUri);
        });
    }
}
