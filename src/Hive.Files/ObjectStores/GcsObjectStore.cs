using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Cloud.Storage.V1;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Hive.Files.ObjectStores;

/// <summary>
/// Google Cloud Storage (or a GCS emulator) through Google.Cloud.Storage.V1, over its JSON API. An object's
/// <b>generation</b> stands for its ETag: it changes with every write of the content (a metadata change keeps it), and it
/// is what GCS preconditions take: <c>ifGenerationMatch=N</c> for <see cref="WriteCondition.Matches"/>, and
/// <c>ifGenerationMatch=0</c> for <see cref="WriteCondition.Absent"/>. Uploads are resumable, in chunks of
/// <see cref="ChunkSize"/>.
/// </summary>
public sealed class GcsObjectStore : IObjectStore
{
    public const int ChunkSize = 16 << 20;
    private readonly StorageClient _client;
    private readonly string _bucket;

    /// <param name="endpoint">When given, the service root to use instead of Google's (an emulator: <c>http://127.0.0.1:9199</c>); its JSON API is under <c>storage/v1/</c>.</param>
    public GcsObjectStore(string bucket, string? endpoint, GcsCredential credential)
    {
        _bucket = bucket;
        var builder = new StorageClientBuilder { EmulatorDetection = Google.Api.Gax.EmulatorDetection.None };
        if (endpoint is not null) builder.BaseUri = ApiBase(endpoint);
        if (credential.IsAnonymous) builder.UnauthenticatedAccess = true;
        else builder.GoogleCredential = credential.Google;
        _client = builder.Build();
        _client.Service.HttpClient.Timeout = TimeSpan.FromSeconds(60);
        Description = "gcs:" + (endpoint is null ? "" : new Uri(endpoint).Authority + "/") + bucket;
    }

    /// <summary>The JSON API's base URI under a service root (kept as given when it already names one).</summary>
    public static string ApiBase(string endpoint)
    {
        var uri = new Uri(endpoint);
        return uri.AbsolutePath.Trim('/').Length == 0 ? new Uri(uri, "/storage/v1/").ToString() : uri.ToString().TrimEnd('/') + "/";
    }

    public string Description { get; }

    public async Task<ObjectPage> ListAsync(string prefix, string? delimiter, string? continuation, int pageSize, CancellationToken ct)
    {
        return await Call(async () =>
        {
            var options = new ListObjectsOptions { Delimiter = delimiter, PageSize = pageSize, PageToken = continuation, RetryOptions = RetryOptions.Never };
            await foreach (var page in _client.ListObjectsAsync(_bucket, prefix, options).AsRawResponses().WithCancellation(ct))
                return new ObjectPage((page.Items ?? []).Select(Info).ToList(), (IReadOnlyList<string>?)page.Prefixes ?? [],
                    string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken);
            return new ObjectPage([], [], null);
        }, prefix);
    }

    private static ObjectInfo Info(GcsObject o) =>
        new(o.Name, (long)(o.Size ?? 0), Generation(o), o.UpdatedDateTimeOffset ?? o.TimeCreatedDateTimeOffset ?? DateTimeOffset.UnixEpoch,
            o.Metadata?.ContainsKey(SymlinkMetadata) ?? false);

    /// <summary>gcsfuse's mark of a symlink: metadata <c>gcsfuse_symlink_target</c> naming the target (also the content here).</summary>
    private const string SymlinkMetadata = "gcsfuse_symlink_target";

    public async Task<ObjectInfo> PutSymlinkAsync(string key, string target, WriteCondition condition, CancellationToken ct)
    {
        using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(target), writable: false);
        var o = new GcsObject { Bucket = _bucket, Name = key, Metadata = new Dictionary<string, string> { [SymlinkMetadata] = target } };
        var options = new UploadObjectOptions { IfGenerationMatch = IfGenerationMatch(condition) };
        return Info(await Call(() => _client.UploadObjectAsync(o, content, options, ct), key));
    }

    private static string Generation(GcsObject o) => o.Generation?.ToString(CultureInfo.InvariantCulture) ?? "";

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct)
    {
        try
        {
            return Info(await Call(() => _client.GetObjectAsync(_bucket, key, new GetObjectOptions { RetryOptions = RetryOptions.Never }, ct), key));
        }
        catch (ObjectStoreException e) when (IsMissingObject(e))
        {
            return null;
        }
    }

    public async Task<ObjectInfo?> GetAsync(string key, Stream destination, long offset, long? length, CancellationToken ct)
    {
        var options = new DownloadObjectOptions();
        if (offset > 0 || length is not null)
        {
            options.Range = new RangeHeaderValue(offset, length is { } l ? offset + l - 1 : null);
            // The hash the store sends is the whole object's: a part cannot be checked against it.
            options.DownloadValidationMode = DownloadValidationMode.Never;
        }
        try
        {
            var start = destination.CanSeek ? destination.Position : 0;
            var o = await Call(() => _client.DownloadObjectAsync(_bucket, key, destination, options, ct), key);
            // The download's metadata comes from its headers: the generation, not always the size or time.
            var size = o.Size is { } s && options.Range is null ? (long)s : destination.CanSeek ? destination.Position - start : 0;
            return new ObjectInfo(key, size, Generation(o), o.UpdatedDateTimeOffset ?? DateTimeOffset.UtcNow);
        }
        catch (ObjectStoreException e) when (IsMissingObject(e))
        {
            return null;
        }
    }

    /// <summary>A 404 for the object, not for the bucket (GCS says which in the message).</summary>
    private static bool IsMissingObject(ObjectStoreException e) =>
        e.InnerException is GoogleApiException { HttpStatusCode: HttpStatusCode.NotFound } && e.Failure != ObjectStoreFailure.NoBucket;

    public async Task<ObjectInfo> PutFileAsync(string key, string path, WriteCondition condition, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous);
        return await PutStreamAsync(key, file, condition, ct);
    }

    public async Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, WriteCondition condition, CancellationToken ct)
    {
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        return await PutStreamAsync(key, stream, condition, ct);
    }

    private async Task<ObjectInfo> PutStreamAsync(string key, Stream content, WriteCondition condition, CancellationToken ct)
    {
        var options = new UploadObjectOptions { ChunkSize = ChunkSize, IfGenerationMatch = IfGenerationMatch(condition) };
        var length = content.Length;
        var o = await Call(() => _client.UploadObjectAsync(_bucket, key, null, content, options, ct), key);
        // A service that ends a resumable upload early (the Firebase emulator takes only its first chunk) is an error,
        // never a silently shorter object.
        if (o.Size is { } stored && (long)stored != length)
            throw new ObjectStoreException($"{Description} stored {stored} of the {length} bytes sent for {key}", ObjectStoreFailure.Other);
        return Info(o);
    }

    /// <summary>The GCS precondition for a write condition: the generation to match, 0 for "no live object", or none.</summary>
    public static long? IfGenerationMatch(WriteCondition condition) =>
        condition.IfNoneMatch ? 0
        : condition.IfMatch is { } etag ? long.TryParse(etag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var generation) && generation > 0
            ? generation
            : throw new ArgumentException($"\"{etag}\" is not a GCS generation", nameof(condition))
        : null;

    /// <summary>Set once the service has answered 501 to a rewrite (the Firebase emulator serves none under /storage/v1).</summary>
    private volatile bool _copyThroughHost;

    public async Task<ObjectInfo> CopyAsync(string from, string to, CancellationToken ct)
    {
        if (!_copyThroughHost)
        {
            try
            {
                // A rewrite inside the store (the SDK repeats it until done for large objects).
                var o = await Call(() => _client.CopyObjectAsync(_bucket, from, _bucket, to, new CopyObjectOptions { RetryOptions = RetryOptions.Never }, ct), from);
                return Info(o);
            }
            catch (ObjectStoreException e) when (e.InnerException is GoogleApiException { HttpStatusCode: HttpStatusCode.NotImplemented })
            {
                _copyThroughHost = true;
            }
        }
        // Down and up again through the host; an empty object (a directory marker) needs no download.
        var head = await HeadAsync(from, ct) ?? throw new FileNotFoundException(from);
        if (head.Size == 0) return await PutAsync(to, ReadOnlyMemory<byte>.Empty, WriteCondition.None, ct);
        return await ObjectCopy.ThroughHostAsync(this, head, from, to, ct);
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        try
        {
            await Call(async () =>
            {
                await _client.DeleteObjectAsync(_bucket, key, new DeleteObjectOptions { RetryOptions = RetryOptions.Never }, ct);
                return 0;
            }, key);
            return true;
        }
        catch (ObjectStoreException e) when (IsMissingObject(e))
        {
            return false;
        }
    }

    public async Task ProbeAsync(CancellationToken ct)
    {
        try
        {
            await ListAsync("", null, null, 1, ct);
        }
        catch (ObjectStoreException e) when (e.InnerException is GoogleApiException { HttpStatusCode: HttpStatusCode.NotFound })
        {
            throw new ObjectStoreException(e.Message, ObjectStoreFailure.NoBucket, e.InnerException);
        }
    }

    /// <summary>Runs one SDK call and turns its failures into the store's exceptions (never carrying a credential).</summary>
    private async Task<T> Call<T>(Func<Task<T>> call, string key)
    {
        try
        {
            return await call();
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new ObjectConflictException(key, e);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode != 0)
        {
            var message = e.Error?.Message ?? e.HttpStatusCode.ToString();
            var failure = e.HttpStatusCode switch
            {
                HttpStatusCode.NotFound when message.Contains("bucket does not exist", StringComparison.OrdinalIgnoreCase) => ObjectStoreFailure.NoBucket,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ObjectStoreFailure.Denied,
                _ => ObjectStoreFailure.Other,
            };
            var reason = e.Error?.Errors is { Count: > 0 } errors ? errors[0].Reason : null;
            throw new ObjectStoreException($"{Description} answered {(int)e.HttpStatusCode}{(reason is null ? "" : " " + reason)}: {message}", failure, e);
        }
        catch (TokenResponseException e)
        {
            // The token endpoint refused the service account (its description never holds the key).
            throw new ObjectStoreException($"{Description}: the credentials were refused: {e.Error?.Error}", ObjectStoreFailure.Denied, e);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            // An answer the SDK could not take (a malformed header, a hash that does not match what was sent).
            throw new ObjectStoreException($"{Description}: unusable answer for {key}: {e.Message}", ObjectStoreFailure.Other, e);
        }
        catch (Exception e) when (e is GoogleApiException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
        {
            throw new ObjectStoreException($"{Description} could not be reached: {Root(e).Message}", ObjectStoreFailure.Unreachable, e);
        }
    }

    private static Exception Root(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>
/// What a gcs mount authenticates with, from the secret's value: a Google service-account key (the JSON file the
/// console makes), or the word <c>anonymous</c>, which is taken only for an emulator on a loopback endpoint.
/// </summary>
public sealed class GcsCredential
{
    public const string Anonymous = "anonymous";
    private static readonly string[] Scope = ["https://www.googleapis.com/auth/devstorage.read_write"];

    private GcsCredential(GoogleCredential? google) => Google = google;

    public bool IsAnonymous => Google is null;
    public GoogleCredential? Google { get; }

    /// <summary>Parses the secret's value; the error never quotes it.</summary>
    public static GcsCredential Parse(string value, string? endpoint)
    {
        value = value.Trim();
        if (value == Anonymous)
        {
            if (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || !uri.IsLoopback)
                throw new FormatException("\"anonymous\" is only taken for an emulator: fs[].endpoint must then be a loopback URL (http://127.0.0.1:PORT)");
            return new GcsCredential(null);
        }
        if (!value.StartsWith('{'))
            throw new FormatException("the secret must hold a Google service-account key (JSON with \"type\": \"service_account\")");
        try
        {
            var account = CredentialFactory.FromJson<ServiceAccountCredential>(value);
            return new GcsCredential(account.ToGoogleCredential().CreateScoped(Scope));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or Newtonsoft.Json.JsonException
                                     or System.Security.Cryptography.CryptographicException)
        {
            throw new FormatException("the secret is not a Google service-account key (JSON with \"type\": \"service_account\", \"client_email\" and \"private_key\")");
        }
    }

    public override string ToString() => "GcsCredential(***)";
}
