using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// A real storage server for the daemon's object-store mounts, started on a free loopback port with one bucket (or
/// container): s3rver or Azurite from npm (scripts/install-deps.sh objstore). Dispose kills it by PID and removes its data.
/// </summary>
public sealed class E2eStorageServer : IDisposable
{
    private const string Servers = "/var/cache/hive-test/objstore";
    private const string AzuriteAccount = "devstoreaccount1";
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;
    private readonly string _data;

    public E2eStorageServer(string kind)
    {
        Kind = kind;
        Bucket = "hive-" + Guid.NewGuid().ToString("N")[..12];
        _data = Directory.CreateTempSubdirectory($"hive-e2e-{kind}-").FullName;
        var bin = Path.Combine(Servers, "node_modules/.bin", kind == "s3" ? "s3rver" : "azurite-blob");
        if (!File.Exists(bin))
            throw new InvalidOperationException($"{bin} is missing: run `scripts/install-deps.sh objstore` (the object-store tests need s3rver and azurite from npm)");
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            Port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo { FileName = "node", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args = kind == "s3"
            ? ["--openssl-legacy-provider", bin, "-d", _data, "-a", "127.0.0.1", "-p", Port.ToString(), "--configure-bucket", Bucket]
            : [bin, "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(), "--location", _data, "--silent", "--skipApiVersionCheck", "--loose"];
        foreach (var a in args) start.ArgumentList.Add(a);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{kind} server exited at start with {_process.ExitCode}");
            try
            {
                using var socket = new TcpClient();
                socket.Connect(IPAddress.Loopback, Port);
                break;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                Thread.Sleep(100);
            }
        }
        if (kind == "azure") new Azure.Storage.Blobs.BlobContainerClient(Credential, Bucket).Create();
    }

    public string Kind { get; }
    public string Bucket { get; }
    public int Port { get; }
    public string Endpoint => Kind == "s3" ? $"http://127.0.0.1:{Port}" : $"http://127.0.0.1:{Port}/{AzuriteAccount}";

    /// <summary>The value of the Hive secret the mount names.</summary>
    public string Credential => Kind == "s3" ? "S3RVER:S3RVER"
        : $"DefaultEndpointsProtocol=http;AccountName={AzuriteAccount};AccountKey={AzuriteKey};BlobEndpoint={Endpoint};";

    /// <summary>The <c>fs[]</c> entry of a mount of this bucket at <paramref name="mount"/>, its credentials in secret <paramref name="secret"/>.</summary>
    public string MountJson(string mount, string secret, string acls) =>
        $$"""{ "backend": "{{Kind}}", "mount": "{{mount}}", "{{(Kind == "s3" ? "bucket" : "container")}}": "{{Bucket}}", "endpoint": "{{Endpoint}}",{{(Kind == "s3" ? " \"region\": \"us-east-1\"," : "")}} "credentials": "{{secret}}", "acls": {{acls}} }""";

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
