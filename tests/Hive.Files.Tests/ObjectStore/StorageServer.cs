using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.S3;
using Azure.Storage.Blobs;
using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// A real storage server started by the test on a free loopback port, in a temporary directory: s3rver (S3), Azurite
/// (Azure Blob) or the Cloud Storage emulator of firebase-tools (GCS, started by gcs-emulator.js beside this file), all
/// from npm, installed by scripts/install-deps.sh when missing. Stop kills it (by PID) and removes
/// its data; Pause/Resume stop and continue the process (a store that stops answering), Kill/Restart take it away.
/// </summary>
public sealed class StorageServer : IDisposable
{
    public const string AzuriteAccount = "devstoreaccount1";
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    public const string S3Key = "S3RVER";

    /// <summary>Why a gcs row is skipped: a killed emulator restarts empty.</summary>
    public const string GcsEmulatorKeepsObjectsInMemory =
        "the Firebase Cloud Storage emulator keeps its objects in memory: after a kill and restart the bucket is empty";

    /// <summary>Why a gcs row is skipped: the emulator has no missing buckets and no credential check.</summary>
    public const string GcsEmulatorChecksNothing =
        "the Firebase Cloud Storage emulator makes any bucket at its first use and takes any credentials, so neither \"no such bucket\" nor \"refused\" can be provoked";

    private static readonly string Servers = Environment.GetEnvironmentVariable("HIVE_OBJSTORE_SERVERS") ?? "/var/cache/hive-test/objstore";
    private Process? _process;

    public StorageServer(string kind)
    {
        Kind = kind;
        Data = Directory.CreateTempSubdirectory($"hive-{kind}-").FullName;
        Port = FreePort();
        Start();
    }

    public string Kind { get; }
    public string Data { get; }
    public int Port { get; }
    public string Endpoint => Kind is "s3" or "gcs" ? $"http://127.0.0.1:{Port}" : $"http://127.0.0.1:{Port}/{AzuriteAccount}";

    /// <summary>What a Hive secret for this server would hold.</summary>
    public string Credential => Kind == "s3" ? $"{S3Key}:{S3Key}"
        : Kind == "gcs" ? GcsServiceAccount.Json
        : $"DefaultEndpointsProtocol=http;AccountName={AzuriteAccount};AccountKey={AzuriteKey};BlobEndpoint={Endpoint};";

    /// <summary>A new empty bucket (or container) with a random name.</summary>
    public string NewBucket()
    {
        var name = "hive-" + Guid.NewGuid().ToString("N")[..12];
        if (Kind == "s3")
        {
            using var client = S3Client();
            client.PutBucketAsync(name).GetAwaiter().GetResult();
        }
        else if (Kind == "gcs") { } // the emulator makes a bucket at its first use (and so never answers "no such bucket")
        else new BlobContainerClient(Credential, name).Create();
        return name;
    }

    public AmazonS3Client S3Client() => new(new Amazon.Runtime.BasicAWSCredentials(S3Key, S3Key),
        new AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED });

    /// <summary>The store as the backend sees it, for <paramref name="bucket"/>.</summary>
    public IObjectStore Store(string bucket) => Kind switch
    {
        "s3" => new S3ObjectStore(bucket, "us-east-1", Endpoint, S3Credential.Parse(Credential)),
        "gcs" => new GcsObjectStore(bucket, Endpoint, GcsCredential.Parse(Credential, Endpoint)),
        _ => new AzureObjectStore(bucket, Endpoint, Credential),
    };

    private static string GcsTools => Path.Combine(Servers, "gcs/node_modules/firebase-tools");

    private void Start()
    {
        if (!File.Exists(Path.Combine(Servers, "node_modules/.bin/s3rver")) || !File.Exists(Path.Combine(Servers, "node_modules/.bin/azurite-blob"))
            || !File.Exists(Path.Combine(GcsTools, "lib/emulator/storage/index.js")))
        {
            var script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../scripts/install-deps.sh"));
            var install = FuseFixture.Run($"bash '{script}' objstore", uid: 0, timeoutSeconds: 600);
            if (install.ExitCode != 0)
                throw new InvalidOperationException($"the object-store tests need azurite, s3rver and firebase-tools from npm (scripts/install-deps.sh objstore failed): {install}");
        }
        var start = new ProcessStartInfo { FileName = "node", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Kind == "s3")
            // s3rver makes its listing continuation tokens with a cipher OpenSSL 3 keeps in its legacy provider.
            foreach (var a in new[] { "--openssl-legacy-provider", Path.Combine(Servers, "node_modules/.bin/s3rver"), "-d", Data, "-a", "127.0.0.1", "-p", Port.ToString() })
                start.ArgumentList.Add(a);
        else if (Kind == "gcs")
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "ObjectStore/gcs-emulator.js"), GcsTools, Port.ToString(), Data })
                start.ArgumentList.Add(a);
        else
            foreach (var a in new[] { Path.Combine(Servers, "node_modules/.bin/azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(),
                         "--location", Data, "--silent", "--skipApiVersionCheck", "--loose" })
                start.ArgumentList.Add(a);
        _process = Process.Start(start)!;
        var log = Path.Combine(Data, "server.log");
        _process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (Servers) File.AppendAllText(log, line + "\n"); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (Servers) File.AppendAllText(log, line + "\n"); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Kind} server exited at start with {_process.ExitCode}");
            try
            {
                using var socket = new TcpClient();
                socket.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new InvalidOperationException($"{Kind} server did not listen on 127.0.0.1:{Port} within 120 s");
    }

    /// <summary>SIGSTOP: the port stays open but nothing answers (a hung store).</summary>
    public void Pause() => FuseFixture.Run($"kill -STOP {_process!.Id}", uid: 0).AssertOk();

    public void Resume() => FuseFixture.Run($"kill -CONT {_process!.Id}", uid: 0).AssertOk();

    /// <summary>The store goes away (connections refused) and keeps its data for <see cref="Restart"/>.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    public void Restart()
    {
        Kill();
        Start();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false }) FuseFixture.Run($"kill -CONT {_process.Id}", uid: 0);
            Kill();
        }
        finally
        {
            try { Directory.Delete(Data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
