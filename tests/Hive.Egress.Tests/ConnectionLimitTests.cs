using System.Net;
using Hive.Core.Egress;
using Hive.Egress.Proxy;

namespace Hive.Egress.Tests;

public class ConnectionLimitTests
{
    [Fact]
    public void A_sandbox_gets_at_most_its_cap_of_connections_and_a_closed_one_frees_a_slot()
    {
        var sandbox = new SandboxEgress("s", EgressPolicy.DenyAll) { MaxConnections = 3 };
        Assert.Equal(1024, SandboxEgress.DefaultMaxConnections);
        Assert.True(sandbox.TryOpenConnection());
        Assert.True(sandbox.TryOpenConnection());
        Assert.True(sandbox.TryOpenConnection());
        Assert.False(sandbox.TryOpenConnection());
        Assert.Equal(3, sandbox.OpenConnections);
        sandbox.CloseConnection();
        Assert.True(sandbox.TryOpenConnection());
        Assert.False(sandbox.TryOpenConnection());
    }

    [Fact]
    public void Refusals_are_reported_once_a_second_not_once_each()
    {
        var sandbox = new SandboxEgress("s", EgressPolicy.DenyAll);
        Assert.True(sandbox.ShouldReportRefusedConnection());
        Assert.False(sandbox.ShouldReportRefusedConnection());
    }

    [Fact]
    public void Concurrent_opens_never_exceed_the_cap()
    {
        var sandbox = new SandboxEgress("s", EgressPolicy.DenyAll) { MaxConnections = 100 };
        var opened = 0;
        Parallel.For(0, 10_000, _ => { if (sandbox.TryOpenConnection()) Interlocked.Increment(ref opened); });
        Assert.Equal(100, opened);
    }

    [Theory]
    [InlineData("api.example.test", "127.0.0.1", 8443, true, "https://127.0.0.1:8443/v1?a=1", "api.example.test:8443")]
    [InlineData("api.example.test", "127.0.0.1", 443, true, "https://127.0.0.1/v1?a=1", "api.example.test")]
    [InlineData("api.example.test", "2001:db8::7", 80, false, "http://[2001:db8::7]/v1?a=1", "api.example.test")]
    public void A_name_is_sent_to_its_pinned_address_with_the_name_as_host(string host, string address, int port, bool tls, string uri, string hostHeader)
    {
        var c = new EgressConnection(new SandboxEgress("s", EgressPolicy.DenyAll), host, null, port, tls, new PinnedAddress(IPAddress.Parse(address), null));
        Assert.Equal(uri, c.UpstreamUriFor("/v1", "a=1").AbsoluteUri);
        Assert.Equal(hostHeader, c.PinnedHost);
        Assert.Equal(IPAddress.Parse(address), c.Upstream);
    }

    [Fact]
    public void A_name_without_an_address_keeps_the_name_and_its_refusal()
    {
        var c = new EgressConnection(new SandboxEgress("s", EgressPolicy.DenyAll), "api.example.test", null, 443, true, new PinnedAddress(null, "no"));
        Assert.Null(c.Upstream);
        Assert.Null(c.PinnedHost);
        Assert.Equal("no", c.UpstreamRefusal);
        Assert.Equal("https://api.example.test/v1", c.UpstreamUriFor("/v1", null).AbsoluteUri);
    }
}
