using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hive.Egress.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Bench;

/// <summary>
/// The egress suite's floor: the stack Hive's proxy is built on (Kestrel terminating TLS with an ECDSA leaf, YARP forwarding
/// over SocketsHttpHandler to the upstream, set up as Hive sets them up), with nothing of Hive's own — no policy, no
/// events, no secrets, no per-connection middleware. It runs in a process of its own so that its CPU time is its own.
/// Hive against it is what Hive's layer costs; it against direct is what the stack costs.
/// </summary>
public static class BareProxy
{
    public const string Flag = "--serve-bare-proxy";

    /// <summary>Starts the bare proxy as a child process forwarding to https://127.0.0.1:<paramref name="upstreamPort"/>.</summary>
    public static Process Start(int upstreamPort, out int port)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in Environment.ProcessPath!.EndsWith("/dotnet", StringComparison.Ordinal) ? new[] { typeof(BareProxy).Assembly.Location } : [])
            psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(Flag);
        psi.ArgumentList.Add(upstreamPort.ToString(CultureInfo.InvariantCulture));
        var p = Process.Start(psi) ?? throw new InvalidOperationException("the bare proxy did not start");
        var line = p.StandardOutput.ReadLine();
        if (line is null || !int.TryParse(line, CultureInfo.InvariantCulture, out port))
            throw new InvalidOperationException($"the bare proxy did not start: {line}{p.StandardError.ReadToEnd()}");
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>The child's side: listens on a free loopback port, prints it, serves until killed.</summary>
    [SuppressMessage("Security", "CA5359", Justification = "a benchmark's own loopback upstream, whose test certificate is not in any store")]
    public static async Task ServeAsync(int upstreamPort)
    {
        var upstream = new HttpMessageInvoker(ProxySettings.UpstreamHandler(connect: null, trust: (_, _, _, _) => true));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        var certificate = Leaf();
        builder.WebHost.ConfigureKestrel(k =>
        {
            ProxySettings.ApplyListenerLimits(k);
            k.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        });
        var app = builder.Build();
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(10) };
        var destination = $"https://127.0.0.1:{upstreamPort}";
        app.Run(async context => await forwarder.SendAsync(context, destination, upstream, config, HttpTransformer.Default));
        await app.StartAsync();
        var address = app.Urls.First();
        Console.WriteLine(new Uri(address).Port.ToString(CultureInfo.InvariantCulture));
        await Task.Delay(Timeout.Infinite); // killed by the suite
    }

    /// <summary>A self-signed ECDSA P-256 leaf, the kind Hive mints per host.</summary>
    private static X509Certificate2 Leaf()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=api.example.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("api.example.test");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
