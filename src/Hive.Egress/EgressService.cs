using System.Net;
using Hive.Egress.Dns;
using Hive.Egress.Proxy;
using Hive.Egress.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Egress;

/// <summary>
/// The egress side of the daemon: one transparent proxy and one DNS server for every sandbox on the
/// host, told apart by source address. Both listen on ports chosen at start; nftables steers sandbox
/// traffic to them and refuses everyone else.
/// </summary>
public sealed class EgressService : IAsyncDisposable
{
    private readonly WebApplication _proxy;
    private readonly DnsServer _dns;
    private readonly HttpMessageInvoker _upstream;

    private EgressService(WebApplication proxy, DnsServer dns, HttpMessageInvoker upstream, EgressRegistry registry)
    {
        _proxy = proxy;
        _dns = dns;
        _upstream = upstream;
        Registry = registry;
    }

    public EgressRegistry Registry { get; }

    /// <summary>Requests held for a person (docs/egress.md, "Asking a person").</summary>
    public Approvals.EgressApprovals Approvals => Registry.Approvals!;
    public int ProxyPort { get; private set; }
    public int DnsPort => _dns.Port;

    public static async Task<EgressService> StartAsync(EgressOptions options, CertificateAuthority ca, IHostEventSink events,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var registry = new EgressRegistry(new Approvals.EgressApprovals(events));
        var dialer = new UpstreamDialer(options);
        var upstream = new HttpMessageInvoker(ProxySettings.UpstreamHandler(
            // The proxy resolves and checks the address itself and dials exactly that one.
            async (context, token) =>
                new System.Net.Sockets.NetworkStream(await dialer.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, token), ownsSocket: true),
            UpstreamTrust.Create(options.CaBundle)));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(new WithoutRequestLogging(loggers));
        builder.Services.AddHttpForwarder();
        var log = loggers.CreateLogger("hive.egress");
        var middleware = new EgressConnectionMiddleware(registry, ca, dialer, events, log);
        builder.WebHost.ConfigureKestrel(k =>
        {
            ProxySettings.ApplyListenerLimits(k);
            k.Listen(IPAddress.Any, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(middleware.Wrap);
            });
        });
        var app = builder.Build();
        var handler = new EgressHttpHandler(app.Services.GetRequiredService<IHttpForwarder>(), upstream, events) { Approvals = registry.Approvals };
        app.Run(handler.HandleAsync);
        await app.StartAsync(ct);

        var dns = new DnsServer(registry, new DnsResponder(events), log);
        dns.Start(IPAddress.Any);
        var service = new EgressService(app, dns, upstream, registry);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        service.ProxyPort = new Uri(address.Replace("0.0.0.0", "127.0.0.1")).Port;
        dialer.AddDaemonPorts(service.ProxyPort, dns.Port);
        return service;
    }

    /// <summary>
    /// The daemon's loggers minus ASP.NET Core's per-request log: while that logger is enabled at any level, hosting
    /// starts an Activity for every request (and its context flows into the forwarded request), which costs the proxy
    /// allocations and CPU on every request for a log line nobody reads.
    /// </summary>
    private sealed class WithoutRequestLogging(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == "Microsoft.AspNetCore.Hosting.Diagnostics" ? NullLogger.Instance : inner.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() { } // the daemon's factory, disposed by the daemon
    }

    public async ValueTask DisposeAsync()
    {
        // Held requests fail closed before the proxy stops: none is ever forwarded by a later daemon.
        Approvals.FailAll("the daemon is stopping");
        await _dns.DisposeAsync();
        await _proxy.StopAsync();
        await _proxy.DisposeAsync();
        _upstream.Dispose();
    }
}
