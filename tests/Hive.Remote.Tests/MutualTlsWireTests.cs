using Hive.Host.Abstractions.Cluster;

namespace Hive.Remote.Tests;

/// <summary>Only the controller of the cluster talks to a host, and the controller talks only to hosts of its cluster.</summary>
public sealed class MutualTlsWireTests
{
    [Fact]
    public async Task A_client_with_a_certificate_from_another_CA_is_refused_by_the_handshake()
    {
        await using var server = await HostServer.StartAsync();
        using var otherCa = ClusterCertificates.CreateCa();
        using var stranger = ClusterTls.Create(otherCa, ClusterCertificates.Issue(otherCa, ClusterRole.Controller));
        // The stranger trusts our host's CA for the server side, so only the host's check can refuse it.
        using var strangerTrustingUs = ClusterTls.Create(server.Ca, ClusterCertificates.Issue(server.Ca, ClusterRole.Controller));
        using var client = new Hive.Daemon.Cluster.Remote.RemoteSandboxHost("host-1", server.Address, WithClientCert(strangerTrustingUs, stranger));
        var e = await Assert.ThrowsAsync<HostException>(() => client.StartAsync(Sandboxes.Hosted(), CancellationToken.None));
        Assert.Equal(HostErrorKind.Unavailable, e.Kind);
        Assert.Empty(server.Fake.Calls);
    }

    [Fact]
    public async Task A_client_with_the_host_role_is_refused_by_the_handshake()
    {
        await using var server = await HostServer.StartAsync();
        using var hostRole = ClusterTls.Create(server.Ca, ClusterCertificates.Issue(server.Ca, ClusterRole.Host));
        using var client = server.ClientWith(hostRole);
        var e = await Assert.ThrowsAsync<HostException>(() => client.StartAsync(Sandboxes.Hosted(), CancellationToken.None));
        Assert.Equal(HostErrorKind.Unavailable, e.Kind);
        Assert.Contains("host-1", e.Message);
        Assert.Empty(server.Fake.Calls);
    }

    [Fact]
    public async Task The_controller_refuses_a_server_that_is_not_a_host_of_its_cluster()
    {
        await using var server = await HostServer.StartAsync(serverRole: ClusterRole.Controller);
        var e = await Assert.ThrowsAsync<HostException>(() => server.Client.StartAsync(Sandboxes.Hosted(), CancellationToken.None));
        Assert.Equal(HostErrorKind.Unavailable, e.Kind);
        Assert.Contains("TLS", e.Message);
        Assert.Empty(server.Fake.Calls);
    }

    /// <summary>A handler that checks the server as <paramref name="trust"/> does but presents <paramref name="identity"/>'s certificate.</summary>
    private static SocketsHttpHandler WithClientCert(ClusterTls trust, ClusterTls identity)
    {
        var handler = trust.CreateClientHandler(ClusterRole.Host);
        handler.SslOptions.ClientCertificateContext = System.Net.Security.SslStreamCertificateContext.Create(identity.Certificate, null, offline: true);
        return handler;
    }
}
