using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Hive.Files.ObjectStores;

/// <summary>
/// AWS S3 or any S3-compatible service (R2, MinIO, Ceph, s3rver) through AWSSDK.S3. With an endpoint, requests use path
/// style (<c>endpoint/bucket/key</c>), which every compatible service understands. Files over
/// <see cref="MultipartThreshold"/> go up in parts of <see cref="PartSize"/>.
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    public const long MultipartThreshold = 64L << 20;
    public const long PartSize = 16L << 20;
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly Amazon.S3.Protocol _protocol;
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = TimeSpan.FromSeconds(60) };

    public S3ObjectStore(string bucket, string? region, string? endpoint, S3Credential credential)
    {
        _bucket = bucket;
        var config = new AmazonS3Config
        {
            // Checksums only where an operation needs one: compatible services reject trailing-checksum uploads.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 1,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region ?? "us-east-1");
        AWSCredentials credentials = credential.SessionToken is { } token
            ? new SessionAWSCredentials(credential.AccessKeyId, credential.SecretAccessKey, token)
            : new BasicAWSCredentials(credential.AccessKeyId, credential.SecretAccessKey);
        _client = new AmazonS3Client(credentials, config);
        _protocol = endpoint is not null && endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Amazon.S3.Protocol.HTTP : Amazon.S3.Protocol.HTTPS;
        Description = "s3:" + (endpoint is null ? "" : new Uri(endpoint).Authority + "/") + bucket;
    }

    public string Description { get; }

    public async Task<ObjectPage> ListAsync(string prefix, string? delimiter, string? continuation, int pageSize, CancellationToken ct)
    {
        var response = await Call(() => _client.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = _bucket, Prefix = prefix, Delimiter = delimiter, ContinuationToken = continuation, MaxKeys = pageSize,
        }, ct), prefix);
        var objects = (response.S3Objects ?? []).Select(o => new ObjectInfo(o.Key, o.Size ?? 0, o.ETag ?? "", Time(o.LastModified))).ToList();
        return new ObjectPage(objects, response.CommonPrefixes ?? [], response.IsTruncated == true ? response.NextContinuationToken : null);
    }

    /// <summary>
    /// HEAD through a presigned URL on this store's own HttpClient rather than the SDK's call: the SDK turns every 404 (a
    /// name that does not exist, which a new file's name is asked about twice) into an exception whose stack trace its
    /// telemetry formats whether anyone listens or not (AWSSDK.Core 4.1, TracingUtilities.CaptureException), about a
    /// millisecond of CPU each. The URL is signed for this one request and never logged.
    /// </summary>
    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct)
    {
        var url = await Call(() => _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _bucket, Key = key, Verb = HttpVerb.HEAD, Protocol = _protocol, Expires = DateTime.UtcNow.AddMinutes(5),
        }), key);
        using (var r = await SendHeadAsync(url, ct))
        {
            if (r.StatusCode == HttpStatusCode.NotFound) return null;
            if (!r.IsSuccessStatusCode)
            {
                var failure = r.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized ? ObjectStoreFailure.Denied : ObjectStoreFailure.Other;
                throw new ObjectStoreException($"{Description} answered {(int)r.StatusCode} {r.ReasonPhrase}", failure);
            }
            var etag = r.Headers.TryGetValues("ETag", out var etags) ? etags.First() : "";
            var symlink = r.Headers.TryGetValues("x-amz-meta-" + ModeMetadata, out var modes)
                && int.TryParse(modes.First(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mode)
                && (mode & 0xF000) == 0xA000;
            return new ObjectInfo(key, r.Content.Headers.ContentLength ?? 0, etag, r.Content.Headers.LastModified ?? DateTimeOffset.UnixEpoch, symlink);
        }
    }

    /// <summary>Like the SDK's calls (<c>MaxErrorRetry = 1</c>), tried once more after a dropped connection or a 5xx/429 answer.</summary>
    private async Task<HttpResponseMessage> SendHeadAsync(string url, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Head, url);
                var r = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (attempt > 0 || ((int)r.StatusCode < 500 && r.StatusCode != HttpStatusCode.TooManyRequests)) return r;
                r.Dispose();
            }
            catch (HttpRequestException) when (attempt == 0 && !ct.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                throw new ObjectStoreException($"{Description} could not be reached: {Root(e).Message}", ObjectStoreFailure.Unreachable, e);
            }
            await Task.Delay(100, ct);
        }
    }

    public async Task<ObjectInfo?> GetAsync(string key, Stream destination, long offset, long? length, CancellationToken ct)
    {
        var request = new GetObjectRequest { BucketName = _bucket, Key = key };
        if (offset > 0 || length is not null) request.ByteRange = new ByteRange(offset, length is { } l ? offset + l - 1 : long.MaxValue);
        try
        {
            using var r = await Call(() => _client.GetObjectAsync(request, ct), key);
            await r.ResponseStream.CopyToAsync(destination, ct);
            return new ObjectInfo(key, r.ContentLength, r.ETag ?? "", Time(r.LastModified));
        }
        catch (ObjectStoreException e) when (e.InnerException is AmazonS3Exception { ErrorCode: "NoSuchKey" })
        {
            return null;
        }
    }

    public async Task<ObjectInfo> PutFileAsync(string key, string path, WriteCondition condition, CancellationToken ct)
    {
        var size = new FileInfo(path).Length;
        if (size > MultipartThreshold) return await MultipartAsync(key, path, size, condition, ct);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous);
        return await PutStreamAsync(key, file, condition, ct);
    }

    public async Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, WriteCondition condition, CancellationToken ct)
    {
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        return await PutStreamAsync(key, stream, condition, ct);
    }

    /// <summary>s3fs's mark of a symlink: metadata <c>mode</c>, the decimal st_mode, here S_IFLNK | 0777.</summary>
    private const string ModeMetadata = "mode";
    private const int SymlinkMode = 0xA000 | 0x1FF;

    public async Task<ObjectInfo> PutSymlinkAsync(string key, string target, WriteCondition condition, CancellationToken ct)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(target), writable: false);
        return await PutStreamAsync(key, stream, condition, ct, symlink: true);
    }

    private async Task<ObjectInfo> PutStreamAsync(string key, Stream content, WriteCondition condition, CancellationToken ct, bool symlink = false)
    {
        var request = new PutObjectRequest
        {
            BucketName = _bucket, Key = key, InputStream = content, AutoCloseStream = false, UseChunkEncoding = false,
            IfMatch = condition.IfMatch, IfNoneMatch = condition.IfNoneMatch ? "*" : null,
        };
        if (symlink) request.Metadata[ModeMetadata] = SymlinkMode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var r = await Call(() => _client.PutObjectAsync(request, ct), key);
        return new ObjectInfo(key, content.Length, r.ETag ?? "", DateTimeOffset.UtcNow, symlink);
    }

    private async Task<ObjectInfo> MultipartAsync(string key, string path, long size, WriteCondition condition, CancellationToken ct)
    {
        var start = await Call(() => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key }, ct), key);
        try
        {
            var parts = new List<PartETag>();
            for (long offset = 0, number = 1; offset < size; offset += PartSize, number++)
            {
                var part = await Call(() => _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _bucket, Key = key, UploadId = start.UploadId, PartNumber = (int)number,
                    FilePath = path, FilePosition = offset, PartSize = Math.Min(PartSize, size - offset), UseChunkEncoding = false,
                }, ct), key);
                parts.Add(new PartETag((int)number, part.ETag));
            }
            var done = await Call(() => _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket, Key = key, UploadId = start.UploadId, PartETags = parts,
                IfMatch = condition.IfMatch, IfNoneMatch = condition.IfNoneMatch ? "*" : null,
            }, ct), key);
            return new ObjectInfo(key, size, done.ETag ?? "", DateTimeOffset.UtcNow);
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = start.UploadId },
                    CancellationToken.None);
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or OperationCanceledException)
            {
                // The store's lifecycle rules clean up abandoned parts; the upload is retried from the journal.
            }
            throw;
        }
    }

    /// <summary>Set once a service has refused a server-side copy that real S3 takes (s3rver decodes no %2F in the copy source).</summary>
    private volatile bool _copyThroughHost;

    public async Task<ObjectInfo> CopyAsync(string from, string to, CancellationToken ct)
    {
        var head = await HeadAsync(from, ct) ?? throw new FileNotFoundException(from);
        if (!_copyThroughHost && head.Size <= 5L << 30)
        {
            try
            {
                var r = await Call(() => _client.CopyObjectAsync(new CopyObjectRequest
                {
                    SourceBucket = _bucket, SourceKey = from, DestinationBucket = _bucket, DestinationKey = to,
                }, ct), from);
                return new ObjectInfo(to, head.Size, r.ETag ?? "", DateTimeOffset.UtcNow, head.Symlink);
            }
            catch (ObjectStoreException e) when (e.Failure == ObjectStoreFailure.NoBucket)
            {
                _copyThroughHost = true;
            }
        }
        // Down and up again through the host: objects over 5 GiB, or a service whose copy does not work.
        return await ObjectCopy.ThroughHostAsync(this, head, from, to, ct);
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        // S3 answers 204 whether or not the key existed.
        if (await HeadAsync(key, ct) is null) return false;
        await Call(() => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, ct), key);
        return true;
    }

    public async Task ProbeAsync(CancellationToken ct) =>
        await Call(() => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, MaxKeys = 1 }, ct), "");

    private static DateTimeOffset Time(DateTime? t) => t is { } v ? new DateTimeOffset(v.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UnixEpoch;

    /// <summary>Runs one SDK call and turns its failures into the store's exceptions (never carrying a credential).</summary>
    private async Task<T> Call<T>(Func<Task<T>> call, string key)
    {
        try
        {
            return await call();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed || e.ErrorCode is "PreconditionFailed" or "ConditionalRequestConflict")
        {
            throw new ObjectConflictException(key, e);
        }
        catch (AmazonS3Exception e)
        {
            var failure = e.ErrorCode switch
            {
                "NoSuchBucket" => ObjectStoreFailure.NoBucket,
                "AccessDenied" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" => ObjectStoreFailure.Denied,
                _ => e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized ? ObjectStoreFailure.Denied : ObjectStoreFailure.Other,
            };
            var what = e.ErrorCode ?? ((int)e.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new ObjectStoreException($"{Description} answered {(int)e.StatusCode} {what}{(e.Message.Length > 0 ? ": " + e.Message : "")}", failure, e);
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
        {
            throw new ObjectStoreException($"{Description} could not be reached: {Root(e).Message}", ObjectStoreFailure.Unreachable, e);
        }
    }

    private static Exception Root(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }

    public void Dispose()
    {
        _client.Dispose();
        _http.Dispose();
    }
}

/// <summary>An S3 access key pair, from the secret's value: <c>ACCESS_KEY_ID:SECRET_ACCESS_KEY</c> or JSON.</summary>
public sealed record S3Credential(string AccessKeyId, string SecretAccessKey, string? SessionToken)
{
    /// <summary>Parses the secret's value; the error never quotes it.</summary>
    public static S3Credential Parse(string value)
    {
        value = value.Trim();
        if (value.StartsWith('{'))
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(value);
                var root = doc.RootElement;
                string? Get(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == System.Text.Json.JsonValueKind.String ? p.GetString() : null;
                if (Get("accessKeyId") is { Length: > 0 } id && Get("secretAccessKey") is { Length: > 0 } secret)
                    return new S3Credential(id, secret, Get("sessionToken"));
            }
            catch (System.Text.Json.JsonException)
            {
            }
            throw new FormatException("the secret is JSON but not { \"accessKeyId\": …, \"secretAccessKey\": …, \"sessionToken\"?: … }");
        }
        var colon = value.IndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
            throw new FormatException("the secret must hold ACCESS_KEY_ID:SECRET_ACCESS_KEY or { \"accessKeyId\": …, \"secretAccessKey\": … }");
        return new S3Credential(value[..colon], value[(colon + 1)..], null);
    }

    public override string ToString() => "S3Credential(***)";
}
