using System.Diagnostics;
using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Hive.Tests.ObjectStores;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// A real object store on a free loopback port with credentials of its own, for daemons to mount: s3rver (S3) or
/// Azurite (Azure Blob), from npm (scripts/install-deps.sh objstore installs them when missing). The credentials are
/// distinctive per instance (a key pair registered in s3rver, an Azurite account from AZURITE_ACCOUNTS), so a test can
/// search for them anywhere. The process is an <see cref="EmulatorProcess"/> (shared with the store tests): Pause/Resume
/// freeze it (SIGSTOP: the port stays open, nothing answers), Kill/Restart take it away and bring it back on the same
/// port with its data, Dispose kills it by PID and removes its data.
/// </summary>
public sealed class ObjectStoreServer : IDisposable
{
    private readonly string _account;
    private readonly EmulatorProcess _process;

    public ObjectStoreServer(string kind)
    {
        if (kind is not ("s3" or "azure")) throw new ArgumentException("kind: s3 or azure", nameof(kind));
        Kind = kind;
        var tag = Guid.NewGuid().ToString("N")[..12];
        _account = "hiveobj" + tag;
        KeyId = "HIVECANARYKEY" + tag.ToUpperInvariant();
        // Azure account keys are base64; the decoded bytes do not matter, only that the text is unmistakable.
        Secret = kind == "s3" ? "hiveCanarySecret" + Guid.NewGuid().ToString("N")
            : Convert.ToBase64String(Encoding.ASCII.GetBytes("hive-canary-account-key-" + Guid.NewGuid().ToString("N")));
        EmulatorProcess.EnsureInstalled("azurite and s3rver", "node_modules/.bin/s3rver", "node_modules/.bin/azurite-blob");
        _process = new EmulatorProcess(kind, $"hive-e2e-{kind}-", Configure, keepOutput: false);
        _process.Start();
    }

    public string Kind { get; }
    public string Data => _process.Data;
    public int Port => _process.Port;

    /// <summary>The access key id (S3) and the secret key (S3) or account key (Azure): the values that must never show.</summary>
    public string KeyId { get; }
    public string Secret { get; }

    public string Endpoint => Kind == "s3" ? $"http://127.0.0.1:{Port}" : $"http://127.0.0.1:{Port}/{_account}";

    /// <summary>What the Hive secret named in <c>fs[].credentials</c> holds.</summary>
    public string Credential => Kind == "s3" ? $"{KeyId}:{Secret}"
        : $"DefaultEndpointsProtocol=http;AccountName={_account};AccountKey={Secret};BlobEndpoint={Endpoint};";

    /// <summary>The parts of <see cref="Credential"/> that are secret (the Azure account name is in the endpoint, not one of them).</summary>
    public IReadOnlyList<string> SecretParts => Kind == "s3" ? [KeyId, Secret, Credential] : [Secret, Credential];

    /// <summary>
    /// An fs[] entry mounting <paramref name="bucket"/> at <paramref name="mount"/> with the secret <paramref name="credentials"/>
    /// (and <paramref name="acls"/>, a JSON array, when given).
    /// </summary>
    public string MountJson(string mount, string bucket, string credentials, string? prefix = null, string? acls = null)
    {
        var where = Kind == "s3" ? $"\"bucket\": \"{bucket}\", \"region\": \"us-east-1\"" : $"\"container\": \"{bucket}\"";
        var below = prefix is null ? "" : $", \"prefix\": \"{prefix}\"";
        var rules = acls is null ? "" : $", \"acls\": {acls}";
        return $$"""{ "backend": "{{Kind}}", "mount": "{{mount}}", {{where}}{{below}}, "endpoint": "{{Endpoint}}", "credentials": "{{credentials}}"{{rules}} }""";
    }

    public AmazonS3Client S3() => new(new Amazon.Runtime.BasicAWSCredentials(KeyId, Secret),
        new AmazonS3Config
        {
            ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED,
        });

    public BlobContainerClient Container(string name) => new(Credential, name);

    /// <summary>A new empty bucket (or container) with a random name.</summary>
    public async Task<string> NewBucketAsync()
    {
        var name = "hive-" + Guid.NewGuid().ToString("N")[..12];
        if (Kind == "s3")
        {
            using var s3 = S3();
            await s3.PutBucketAsync(name);
        }
        else await Container(name).CreateAsync();
        return name;
    }

    /// <summary>The object's bytes, or null when there is none.</summary>
    public async Task<byte[]?> GetAsync(string bucket, string key)
    {
        try
        {
            if (Kind == "s3")
            {
                using var s3 = S3();
                using var got = await s3.GetObjectAsync(bucket, key);
                using var buffer = new MemoryStream();
                await got.ResponseStream.CopyToAsync(buffer);
                return buffer.ToArray();
            }
            var blob = await Container(bucket).GetBlobClient(key).DownloadContentAsync();
            return blob.Value.Content.ToArray();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (Exception e) when (Kind == "s3" && e is ArgumentOutOfRangeException or Amazon.Runtime.AmazonClientException)
        {
            // s3rver writes an object in place: read while it is written, the answer has an empty ETag (which the SDK
            // cannot parse) or a body that does not match its MD5. Not there yet.
            return null;
        }
    }

    public async Task PutAsync(string bucket, string key, byte[] content)
    {
        if (Kind == "s3")
        {
            using var s3 = S3();
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(content) });
        }
        else await Container(bucket).GetBlobClient(key).UploadAsync(new BinaryData(content), overwrite: true);
    }

    /// <summary>Every object name under <paramref name="prefix"/>.</summary>
    public async Task<List<string>> KeysAsync(string bucket, string prefix)
    {
        var keys = new List<string>();
        if (Kind == "s3")
        {
            using var s3 = S3();
            var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
            ListObjectsV2Response page;
            do
            {
                page = await s3.ListObjectsV2Async(request);
                keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
                request.ContinuationToken = page.NextContinuationToken;
            } while (page.IsTruncated == true);
        }
        else
            await foreach (var blob in Container(bucket).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
                keys.Add(blob.Name);
        return keys;
    }

    /// <summary>
    /// Azurite keeps its metadata (containers, blob names) in memory and writes it to disk every few seconds: before it
    /// is killed, wait until the file holds <paramref name="name"/>, or a restart would not know it. Nothing to wait for on s3rver.
    /// </summary>
    public async Task PersistedAsync(string name)
    {
        if (Kind == "s3") return;
        var db = Path.Combine(Data, "__azurite_db_blob__.json");
        var wait = Stopwatch.StartNew();
        while (!(File.Exists(db) && ReadShared(db).Contains(name, StringComparison.Ordinal)))
        {
            if (wait.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"Azurite did not write {name} to {db} within 30 s");
            await Task.Delay(200);
        }
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private void Configure(ProcessStartInfo start)
    {
        if (Kind == "s3")
        {
            // s3rver knows one fixed key pair; this registers ours before it starts (and its listing tokens need the legacy cipher).
            var register = Path.Combine(Data, "register-key.js");
            File.WriteAllText(register,
                $"require({Js(Path.Combine(EmulatorProcess.Servers, "node_modules/s3rver/lib/models/account.js"))}).DUMMY_ACCOUNT.createKeyPair(process.env.HIVE_S3_KEY_ID, process.env.HIVE_S3_SECRET);\n");
            start.Environment["HIVE_S3_KEY_ID"] = KeyId;
            start.Environment["HIVE_S3_SECRET"] = Secret;
            foreach (var a in new[] { "--openssl-legacy-provider", "-r", register, Path.Combine(EmulatorProcess.Servers, "node_modules/.bin/s3rver"), "-d", Path.Combine(Data, "store"), "-a", "127.0.0.1", "-p", Port.ToString() })
                start.ArgumentList.Add(a);
        }
        else
        {
            start.Environment["AZURITE_ACCOUNTS"] = $"{_account}:{Secret}";
            foreach (var a in new[] { Path.Combine(EmulatorProcess.Servers, "node_modules/.bin/azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(),
                         "--location", Data, "--silent", "--skipApiVersionCheck", "--loose" })
                start.ArgumentList.Add(a);
        }
        Directory.CreateDirectory(Path.Combine(Data, "store"));
    }

    private static string Js(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>SIGSTOP: the port stays open but nothing answers (a hung store).</summary>
    public void Pause() => _process.Pause();

    /// <summary>SIGCONT.</summary>
    public void Resume() => _process.Resume();

    /// <summary>The store goes away (connections refused); its data stays for <see cref="Restart"/>.</summary>
    public void Kill() => _process.Kill();

    public void Restart() => _process.Restart();

    public void Dispose() => _process.Dispose();
}
