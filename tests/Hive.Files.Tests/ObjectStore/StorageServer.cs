using System.Diagnostics;
using Hive.Tests.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// A real storage server started by the test on a free loopback port, in a temporary directory: s3rver (S3), Azurite
/// (Azure Blob) or the Cloud Storage emulator of firebase-tools (GCS, started by gcs-emulator.js beside this file), all
/// from npm, installed by scripts/install-deps.sh when missing. What to run and how to reach it are here; the process
/// (Pause/Resume: a store that stops answering; Kill/Restart: one that goes away; Dispose kills it by PID and removes
/// its data) is an <see cref="EmulatorProcess"/>. The store clients the tests use on it are in StorageServer.Clients.cs.
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

    private readonly EmulatorProcess _process;

    public StorageServer(string kind)
    {
        EmulatorProcess.EnsureInstalled("azurite, s3rver and firebase-tools",
            "node_modules/.bin/s3rver", "node_modules/.bin/azurite-blob", Path.Combine(GcsTools, "lib/emulator/storage/index.js"));
        Kind = kind;
        _process = new EmulatorProcess(kind, $"hive-{kind}-", Configure, keepOutput: true);
        _process.Start();
    }

    public string Kind { get; }
    public string Data => _process.Data;
    public int Port => _process.Port;
    public string Endpoint => Kind is "s3" or "gcs" ? $"http://127.0.0.1:{Port}" : $"http://127.0.0.1:{Port}/{AzuriteAccount}";

    /// <summary>What a Hive secret for this server would hold.</summary>
    public string Credential => Kind == "s3" ? $"{S3Key}:{S3Key}"
        : Kind == "gcs" ? GcsServiceAccount.Json
        : $"DefaultEndpointsProtocol=http;AccountName={AzuriteAccount};AccountKey={AzuriteKey};BlobEndpoint={Endpoint};";

    private static string GcsTools => Path.Combine(EmulatorProcess.Servers, "gcs/node_modules/firebase-tools");

    private void Configure(ProcessStartInfo start)
    {
        if (Kind == "s3")
            // s3rver makes its listing continuation tokens with a cipher OpenSSL 3 keeps in its legacy provider.
            foreach (var a in new[] { "--openssl-legacy-provider", Path.Combine(EmulatorProcess.Servers, "node_modules/.bin/s3rver"), "-d", Data, "-a", "127.0.0.1", "-p", Port.ToString() })
                start.ArgumentList.Add(a);
        else if (Kind == "gcs")
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "ObjectStore/gcs-emulator.js"), GcsTools, Port.ToString(), Data })
                start.ArgumentList.Add(a);
        else
            foreach (var a in new[] { Path.Combine(EmulatorProcess.Servers, "node_modules/.bin/azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(),
                         "--location", Data, "--silent", "--skipApiVersionCheck", "--loose" })
                start.ArgumentList.Add(a);
    }

    /// <summary>SIGSTOP: the port stays open but nothing answers (a hung store).</summary>
    public void Pause() => _process.Pause();

    public void Resume() => _process.Resume();

    /// <summary>The store goes away (connections refused) and keeps its data for <see cref="Restart"/>.</summary>
    public void Kill() => _process.Kill();

    public void Restart() => _process.Restart();

    public void Dispose() => _process.Dispose();
}
