using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// A real storage server started by the test on a free loopback port, in a temporary directory: s3rver (S3), Azurite
/// (Azure Blob) or the Cloud Storage emulator of firebase-tools (GCS, started by gcs-emulator.js beside this file), all
/// from npm, installed by scripts/install-deps.sh when missing. Stop kills it (by PID) and removes
/// its data; Pause/Resume stop and continue the process (a store that stops answering), Kill/Restart take it away.
/// The store clients the tests use on it are in StorageServer.Clients.cs.
/// </summary>
public sealed partial class StorageServer : IDisposable
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

    private static string GcsTools => Path.Combine(Servers, "gcs/node_modules/firebase-tools");

    private void Start()
    {
        if (!File.Exists(Path.Combine(Servers, "node_modules/.bin/s3rver")) || !File.Exists(Path.Combine(Servers, "node_modules/.bin/azurite-blob"))
            || !File.Exists(Path.Combine(GcsTools, "lib/emulator/storage/index.js")))
        {
            var script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../scripts/install-deps.sh"));
            var (exit, output) = Sh($"bash '{script}' objstore", timeoutSeconds: 600);
            if (exit != 0)
                throw new InvalidOperationException($"the object-store tests need azurite, s3rver and firebase-tools from npm (scripts/install-deps.sh objstore failed): exit {exit}: {output}");
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
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        var (exit, output) = Sh($"kill -{signal} {_process!.Id}");
        if (exit != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} failed: {output}");
    }

    /// <summary>Runs a shell command as this process's user (root in the test runs), with its output.</summary>
    private static (int Exit, string Output) Sh(string script, int timeoutSeconds = 60)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"timed out after {timeoutSeconds} s: {stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

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
            if (_process is { HasExited: false }) Sh($"kill -CONT {_process.Id}");
            Kill();
        }
        finally
        {
            try { Directory.Delete(Data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
