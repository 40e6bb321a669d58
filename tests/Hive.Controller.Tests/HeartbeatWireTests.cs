using System.Net;
using System.Net.Sockets;
using System.Text;
using Hive.Daemon.Api;
using Hive.Daemon.Cluster;
using Hive.Daemon.Store;
using Hive.Host.Abstractions.Cluster;
using Hive.Host.Cluster;
using Hive.Server;
using Hive.Server.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hive.Controller.Tests;

/// <summary>
/// Heartbeats over the real wire: the controller's cluster server (Kestrel on loopback, mTLS with certificates from a
/// cluster CA made here) and the host's <see cref="HeartbeatClient"/>.
/// </summary>
public sealed class HeartbeatWireTests : IAsyncLifetime
{
    private readonly Cluster _c = new();
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _ca = ClusterCertificates.CreateCa();
    private ClusterTls _controller = null!;
    private ClusterTls _host = null!;
    private WebApplication _app = null!;
    private Uri _url = null!;

    public async Task InitializeAsync()
    {
        _controller = ClusterTls.Create(_ca, ClusterCertificates.Issue(_ca, ClusterRole.Controller));
        _host = ClusterTls.Create(_ca, ClusterCertificates.Issue(_ca, ClusterRole.Host));
        var port = FreePort();
        var settings = ClusterSettings.Default with { Listen = new IPEndPoint(IPAddress.Loopback, port) };
        var builder = DaemonProgram.ClusterBuilder(settings, _controller, ClusterRole.Host);
        builder.Services.AddSingleton(_c.Registry);
        _app = builder.Build();
        _app.UseProblems(NullLogger.Instance);
        _app.MapClusterHosts();
        await _app.StartAsync();
        _url = new Uri($"https://127.0.0.1:{port}/");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _controller.Dispose();
        _host.Dispose();
        _ca.Dispose();
        _c.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private HeartbeatClient Client(ClusterTls tls, HttpMessageHandler handler, params string[] running) =>
        new(_url, "node-1", _ => Task.FromResult(new HostHeartbeat(new Uri("https://10.0.0.5:7443/"), 12, new Dictionary<string, string> { ["zone"] = "a" },
            running, "1.2.3", "boot-1")), handler, TimeSpan.FromSeconds(5), NullLogger.Instance);

    [Fact]
    public async Task A_host_certificate_heartbeats_and_the_controller_registers_the_host()
    {
        using var handler = _host.CreateClientHandler(ClusterRole.Controller);
        using var client = Client(_host, handler, "stray");
        var reply = await client.SendAsync(CancellationToken.None);
        Assert.Equal(["stray"], reply.Unknown);
        var h = Assert.Single(_c.Store.ListHosts());
        Assert.Equal(("node-1", "https://10.0.0.5:7443/", 12, HostStatus.Live, "a"), (h.Name, h.Advertise.ToString(), h.Capacity, h.Status, h.Labels["zone"]));
    }

    [Fact]
    public async Task A_controller_certificate_is_refused_as_a_host()
    {
        using var handler = _controller.CreateClientHandler(ClusterRole.Controller);
        using var client = Client(_controller, handler);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.SendAsync(CancellationToken.None));
        Assert.Empty(_c.Store.ListHosts());
    }

    [Fact]
    public async Task A_certificate_of_another_CA_is_refused()
    {
        using var otherCa = ClusterCertificates.CreateCa("other");
        using var other = ClusterTls.Create(otherCa, ClusterCertificates.Issue(otherCa, ClusterRole.Host));
        using var handler = other.CreateClientHandler(ClusterRole.Controller);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // even trusting the server blindly
        using var client = Client(other, handler);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.SendAsync(CancellationToken.None));
        Assert.Empty(_c.Store.ListHosts());
    }

    [Fact]
    public async Task A_bad_heartbeat_is_a_400_naming_the_field_and_changes_nothing()
    {
        using var handler = _host.CreateClientHandler(ClusterRole.Controller);
        using var http = new HttpClient(handler) { BaseAddress = _url };
        using var response = await http.PutAsync("/v1/cluster/hosts/node-1",
            new StringContent("""{ "advertise": "ftp://x", "capacity": -1, "extra": 1 }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("advertise", body);
        Assert.Contains("capacity", body);
        Assert.Contains("extra: unknown field", body);
        using var badName = await http.PutAsync("/v1/cluster/hosts/-x", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Empty(_c.Store.ListHosts());
    }

    [Fact]
    public async Task Only_cluster_routes_are_served_on_the_cluster_port()
    {
        using var handler = _host.CreateClientHandler(ClusterRole.Controller);
        using var http = new HttpClient(handler) { BaseAddress = _url };
        using var response = await http.GetAsync("/v1/sandboxes");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
