using System.Net;
using System.Security.Cryptography.X509Certificates;
using Hive.Daemon.Cluster.Remote;
using Hive.Host.Abstractions.Cluster;
using Hive.Host.Remote;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hive.Remote.Tests;

/// <summary>
/// The real host server (Kestrel on loopback, HTTP/2 over mutual TLS with certificates of a fresh cluster CA) in
/// front of a <see cref="FakeHost"/>, and a <see cref="RemoteSandboxHost"/> with the controller's certificate.
/// This is the composition the host role wires, built here for the wire's tests.
/// </summary>
internal sealed class HostServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HostServer(WebApplication app, X509Certificate2 ca, ClusterTls hostTls, ClusterTls controllerTls, FakeHost fake, int port)
    {
        _app = app;
        Ca = ca;
        HostTls = hostTls;
        ControllerTls = controllerTls;
        Fake = fake;
        Port = port;
        Address = new Uri($"https://127.0.0.1:{port}/");
        Client = new RemoteSandboxHost("host-1", Address, controllerTls.CreateClientHandler(ClusterRole.Host));
    }

    public X509Certificate2 Ca { get; }
    public ClusterTls HostTls { get; }
    public ClusterTls ControllerTls { get; }
    public FakeHost Fake { get; }
    public int Port { get; }
    public Uri Address { get; }
    public RemoteSandboxHost Client { get; }

    public static async Task<HostServer> StartAsync(FakeHost? fake = null, ClusterRole serverRole = ClusterRole.Host, TimeSpan? claimLease = null)
    {
        fake ??= new FakeHost();
        var ca = ClusterCertificates.CreateCa();
        var hostTls = ClusterTls.Create(ca, ClusterCertificates.Issue(ca, serverRole, "host-1"));
        var controllerTls = ClusterTls.Create(ca, ClusterCertificates.Issue(ca, ClusterRole.Controller));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.UseHttps(o =>
                {
                    o.ServerCertificate = hostTls.Certificate;
                    o.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    o.ClientCertificateValidation = (c, _, _) => hostTls.Accepts(c, ClusterRole.Controller);
                });
            });
        });
        var app = builder.Build();
        app.MapHostApi(fake, claimLease);
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return new HostServer(app, ca, hostTls, controllerTls, fake, port);
    }

    /// <summary>A client of this server with another certificate (a stranger's, or the wrong role).</summary>
    public RemoteSandboxHost ClientWith(ClusterTls tls) => new("host-1", Address, tls.CreateClientHandler(ClusterRole.Host));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Fake.DisposeAsync();
        HostTls.Dispose();
        ControllerTls.Dispose();
        Ca.Dispose();
    }
}
