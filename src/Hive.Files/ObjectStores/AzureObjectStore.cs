using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Hive.Files.ObjectStores;

/// <summary>
/// Azure Blob Storage (or Azurite) through Azure.Storage.Blobs: block blobs in one container. Large files go up as
/// blocks in parallel (the SDK's transfer options); conditions are the blob's ETag.
/// </summary>
public sealed class AzureObjectStore : IObjectStore
{
    private readonly BlobContainerClient _container;

    /// <param name="connectionString">The secret's value: an Azure Storage connection string (AccountName/AccountKey, or a SAS).</param>
    /// <param name="endpoint">When given, the blob service URL to use instead of the one the connection string names.</param>
    public AzureObjectStore(string container, string? endpoint, string connectionString)
    {
        var options = new BlobClientOptions
        {
            Retry = { MaxRetries = 1, NetworkTimeout = TimeSpan.FromSeconds(60) },
        };
        BlobServiceClient service;
        if (endpoint is null) service = new BlobServiceClient(connectionString, options);
        else
        {
            var (account, key) = AccountKey(connectionString);
            service = new BlobServiceClient(new Uri(endpoint), new StorageSharedKeyCredential(account, key), options);
        }
        _container = service.GetBlobContainerClient(container);
        Description = "azure:" + _container.Uri.Authority + _container.Uri.AbsolutePath;
    }

    /// <summary>AccountName and AccountKey of a connection string; the error never quotes it.</summary>
    private static (string Account, string Key) AccountKey(string connectionString)
    {
        string? account = null, key = null;
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var name = part[..eq];
            if (name.Equals("AccountName", StringComparison.OrdinalIgnoreCase)) account = part[(eq + 1)..];
            else if (name.Equals("AccountKey", StringComparison.OrdinalIgnoreCase)) key = part[(eq + 1)..];
        }
        if (account is null || key is null)
            throw new FormatException("with an endpoint, the secret must be a connection string holding AccountName=…;AccountKey=…");
        return (account, key);
    }

    public string Description { get; }

    /// <summary>Inside the directory: Azurite (and so the tests' store) drops a blob name's trailing '/'.</summary>
    public const string MarkerName = ".hive-dir";

    public string DirectoryMarker(string directory) => directory + MarkerName;

    public async Task<ObjectPage> ListAsync(string prefix, string? delimiter, string? continuation, int pageSize, CancellationToken ct)
    {
        return await Call(async () =>
        {
            var objects = new List<ObjectInfo>();
            var prefixes = new List<string>();
            IAsyncEnumerable<Page<BlobHierarchyItem>> pages = delimiter is null
                ? Flat(prefix, continuation, pageSize, ct)
                : _container.GetBlobsByHierarchyAsync(BlobTraits.Metadata, BlobStates.None, delimiter, prefix, ct).AsPages(continuation, pageSize);
            await foreach (var page in pages)
            {
                foreach (var item in page.Values)
                    if (item.IsPrefix) prefixes.Add(item.Prefix);
                    else objects.Add(Info(item.Blob));
                return new ObjectPage(objects, prefixes, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
            }
            return new ObjectPage(objects, prefixes, null);
        }, prefix);
    }

    private async IAsyncEnumerable<Page<BlobHierarchyItem>> Flat(string prefix, string? continuation, int pageSize,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var page in _container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix, ct).AsPages(continuation, pageSize))
            yield return Page<BlobHierarchyItem>.FromValues([.. page.Values.Select(b => BlobsModelFactory.BlobHierarchyItem(null, b))], page.ContinuationToken, page.GetRawResponse());
    }

    private static ObjectInfo Info(BlobItem blob) =>
        new(blob.Name, blob.Properties.ContentLength ?? 0, blob.Properties.ETag?.ToString() ?? "", blob.Properties.LastModified ?? DateTimeOffset.UnixEpoch,
            IsSymlink(blob.Metadata));

    /// <summary>blobfuse2's mark of a symlink: metadata <c>is_symlink</c> = <c>true</c>, the target as the content.</summary>
    private const string SymlinkMetadata = "is_symlink";

    private static bool IsSymlink(IDictionary<string, string>? metadata)
    {
        if (metadata is null) return false;
        foreach (var (name, value) in metadata)
            if (name.Equals(SymlinkMetadata, StringComparison.OrdinalIgnoreCase)) return value.Equals("true", StringComparison.OrdinalIgnoreCase);
        return false;
    }

    public async Task<ObjectInfo> PutSymlinkAsync(string key, string target, WriteCondition condition, CancellationToken ct)
    {
        var options = new BlobUploadOptions { Conditions = Conditions(condition), Metadata = new Dictionary<string, string> { [SymlinkMetadata] = "true" } };
        var content = System.Text.Encoding.UTF8.GetBytes(target);
        var r = (await Call(() => _container.GetBlobClient(key).UploadAsync(new BinaryData(content), options, ct), key)).Value;
        return new ObjectInfo(key, content.Length, r.ETag.ToString(), r.LastModified, true);
    }

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct)
    {
        try
        {
            var p = (await Call(() => _container.GetBlobClient(key).GetPropertiesAsync(cancellationToken: ct), key)).Value;
            return new ObjectInfo(key, p.ContentLength, p.ETag.ToString(), p.LastModified, IsSymlink(p.Metadata));
        }
        catch (ObjectStoreException e) when (e.InnerException is RequestFailedException { ErrorCode: "BlobNotFound" } or RequestFailedException { Status: 404, ErrorCode: null })
        {
            return null;
        }
    }

    public async Task<ObjectInfo?> GetAsync(string key, Stream destination, long offset, long? length, CancellationToken ct)
    {
        try
        {
            var options = new BlobDownloadOptions();
            if (offset > 0 || length is not null) options.Range = new HttpRange(offset, length);
            var r = (await Call(() => _container.GetBlobClient(key).DownloadStreamingAsync(options, ct), key)).Value;
            await using (r.Content) await r.Content.CopyToAsync(destination, ct);
            return new ObjectInfo(key, r.Details.ContentLength, r.Details.ETag.ToString(), r.Details.LastModified);
        }
        catch (ObjectStoreException e) when (e.InnerException is RequestFailedException { ErrorCode: "BlobNotFound" })
        {
            return null;
        }
    }

    public async Task<ObjectInfo> PutFileAsync(string key, string path, WriteCondition condition, CancellationToken ct)
    {
        var size = new FileInfo(path).Length;
        var options = new BlobUploadOptions
        {
            Conditions = Conditions(condition),
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 64L << 20, MaximumTransferSize = 16L << 20, MaximumConcurrency = 4 },
        };
        var r = (await Call(() => _container.GetBlobClient(key).UploadAsync(path, options, ct), key)).Value;
        return new ObjectInfo(key, size, r.ETag.ToString(), r.LastModified);
    }

    public async Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, WriteCondition condition, CancellationToken ct)
    {
        var r = (await Call(() => _container.GetBlobClient(key).UploadAsync(new BinaryData(content), new BlobUploadOptions { Conditions = Conditions(condition) }, ct), key)).Value;
        return new ObjectInfo(key, content.Length, r.ETag.ToString(), r.LastModified);
    }

    private static BlobRequestConditions? Conditions(WriteCondition c) =>
        c.IfNoneMatch ? new BlobRequestConditions { IfNoneMatch = ETag.All }
        : c.IfMatch is { } etag ? new BlobRequestConditions { IfMatch = new ETag(etag) }
        : null;

    public async Task<ObjectInfo> CopyAsync(string from, string to, CancellationToken ct)
    {
        var source = _container.GetBlobClient(from);
        var target = _container.GetBlobClient(to);
        // Same account: a server-side copy; small and emulated accounts finish it synchronously, others are awaited.
        var operation = await Call(() => target.StartCopyFromUriAsync(source.Uri, cancellationToken: ct), from);
        await Call(async () => await operation.WaitForCompletionAsync(ct), from);
        return await HeadAsync(to, ct) ?? throw new ObjectStoreException($"{Description}: copy of {from} to {to} left nothing", ObjectStoreFailure.Other);
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct) =>
        (await Call(() => _container.GetBlobClient(key).DeleteIfExistsAsync(cancellationToken: ct), key)).Value;

    public async Task ProbeAsync(CancellationToken ct)
    {
        await Call(async () =>
        {
            await foreach (var _ in _container.GetBlobsAsync(cancellationToken: ct).AsPages(null, 1)) break;
            return 0;
        }, "");
    }

    private async Task<T> Call<T>(Func<Task<T>> call, string key)
    {
        try
        {
            return await call();
        }
        catch (RequestFailedException e) when (e.Status == 412 || e.ErrorCode is "ConditionNotMet" or "BlobAlreadyExists" || (e.Status == 409 && e.ErrorCode == "BlobAlreadyExists"))
        {
            throw new ObjectConflictException(key, e);
        }
        catch (RequestFailedException e) when (e.Status != 0)
        {
            var failure = e.ErrorCode switch
            {
                "ContainerNotFound" => ObjectStoreFailure.NoBucket,
                "AuthenticationFailed" or "AuthorizationFailure" or "AuthorizationPermissionMismatch" => ObjectStoreFailure.Denied,
                _ => e.Status is 401 or 403 ? ObjectStoreFailure.Denied : ObjectStoreFailure.Other,
            };
            var first = e.Message.Split('\n')[0].Trim();
            throw new ObjectStoreException($"{Description} answered {e.Status} {e.ErrorCode}: {first}", failure, e);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException or OperationCanceledException or TimeoutException or AggregateException)
        {
            var root = e;
            while (root.InnerException is { } inner) root = inner;
            throw new ObjectStoreException($"{Description} could not be reached: {root.Message}", ObjectStoreFailure.Unreachable, e);
        }
    }

    public void Dispose()
    {
    }
}
