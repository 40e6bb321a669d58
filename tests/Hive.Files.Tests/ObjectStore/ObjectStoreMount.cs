using System.Collections.Concurrent;
using Hive.Core.Config;
using Hive.Files.Backends;
using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>The storage servers, started once for all object-store tests and stopped after them.</summary>
public sealed class StorageServers : IDisposable
{
    private readonly Lazy<StorageServer> _s3 = new(() => new StorageServer("s3"));
    private readonly Lazy<StorageServer> _azure = new(() => new StorageServer("azure"));
    private readonly Lazy<StorageServer> _gcs = new(() => new StorageServer("gcs"));

    public StorageServer For(string kind) => kind switch { "s3" => _s3.Value, "gcs" => _gcs.Value, _ => _azure.Value };

    public void Dispose()
    {
        if (_s3.IsValueCreated) _s3.Value.Dispose();
        if (_azure.IsValueCreated) _azure.Value.Dispose();
        if (_gcs.IsValueCreated) _gcs.Value.Dispose();
    }
}

[CollectionDefinition("objstore")]
public sealed class ObjectStoreCollection : ICollectionFixture<StorageServers>;

/// <summary>Makes FUSE mounts of a kind of storage: <c>local</c> (a directory), <c>s3</c> or <c>azure</c> (a fresh bucket).</summary>
public static class ObjectStoreMount
{
    public static readonly TheoryData<string> AllKinds = ["local", "s3", "azure"];
    public static readonly TheoryData<string> StoreKinds = ["s3", "azure"];

    /// <summary>A mount of <paramref name="kind"/>; for a store, of <paramref name="bucket"/> (a new one when null).</summary>
    public static FuseFixture Mount(StorageServers servers, string kind, IReadOnlyList<AclRule>? acls = null, string? bucket = null,
        string? cache = null, TimeSpan? timeout = null, ConcurrentQueue<string>? notices = null, string? prefix = null, long? cacheLimit = null)
    {
        if (kind == "local") return new FuseFixture(acls);
        var server = servers.For(kind);
        bucket ??= server.NewBucket();
        return new FuseFixture(acls, backend: dir => new ObjectStoreBackend(server.Store(bucket), Options(dir, cache, timeout, notices, prefix) with { CacheLimit = cacheLimit ?? (1L << 30) }));
    }

    private static readonly Lock LogLock = new();

    /// <summary>What the backends logged, for a failing test's investigation (never a credential: checked by the tests).</summary>
    public static readonly string LogFile = Path.Combine(Path.GetTempPath(), "hive-objstore-tests.log");

    public static ObjectStoreOptions Options(string backendDir, string? cache, TimeSpan? timeout, ConcurrentQueue<string>? notices, string? prefix = null) => new()
    {
        Prefix = prefix,
        CacheDirectory = cache ?? Path.Combine(backendDir, "cache"),
        Timeout = timeout ?? TimeSpan.FromSeconds(20),
        RetryInterval = TimeSpan.FromSeconds(1),
        Log = message => { lock (LogLock) File.AppendAllText(LogFile, $"{DateTime.UtcNow:HH:mm:ss.fff} {message}\n"); },
        Notice = notices is null ? null : (path, error, detail) => notices.Enqueue($"{path} {Native.Errno.Name(error)} {detail}"),
    };
}
