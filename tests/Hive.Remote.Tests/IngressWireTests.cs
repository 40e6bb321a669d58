using System.Net;

namespace Hive.Remote.Tests;

/// <summary><c>sandbox.url</c> through a remote host: the target the controller gets reaches port 8080 of the sandbox on the host.</summary>
public sealed class IngressWireTests
{
    [Fact]
    public async Task The_ingress_target_forwards_through_the_host_to_the_sandbox()
    {
        await using var server = await HostServer.StartAsync();
        var sb = Sandboxes.Hosted();
        await server.Client.StartAsync(sb, CancellationToken.None); // the host learns the sandbox (and its config) from the controller
        var target = server.Client.Ingress(sb);
        Assert.EndsWith("/v1/host/sandboxes/sb1/ingress/", target.Address.AbsoluteUri);

        // What the controller's forwarder does: the rest of the path under the target's address, over its client.
        using var get = new HttpRequestMessage(HttpMethod.Get, new Uri(target.Address, "mcp/tools?x=1&y=%2F")) { Version = HttpVersion.Version20 };
        get.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", "/sandboxes/sb1");
        using var response = await target.Client.SendAsync(get, CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GET /mcp/tools?x=1&y=%2F prefix=/sandboxes/sb1 body=", await response.Content.ReadAsStringAsync());

        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(target.Address, "rpc")) { Version = HttpVersion.Version20, Content = new StringContent("""{"jsonrpc":"2.0"}""") };
        using var posted = await target.Client.SendAsync(post, CancellationToken.None);
        Assert.Equal("""POST /rpc prefix= body={"jsonrpc":"2.0"}""", await posted.Content.ReadAsStringAsync());

        // A sandbox the host was never told about is refused, not guessed at.
        using var unknown = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Address, "v1/host/sandboxes/nope/ingress/")) { Version = HttpVersion.Version20 };
        using var refused = await target.Client.SendAsync(unknown, CancellationToken.None);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }
}
