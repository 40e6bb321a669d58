using Hive.Files.ObjectStores;
using Xunit.Abstractions;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// A large file (1 GB in `make test-long`, 256 MiB otherwise: <see cref="TestScale"/>) through a real FUSE mount on each store: written (S3: multipart; Azure: staged blocks), read back and
/// checked by sha256, with a cache far smaller than the file, so reading it back is done with range reads and the cache
/// stays under its limit. Everything streams: no buffer of the file's size anywhere.
/// </summary>
[Collection("objstore")]
public class ObjectStoreLargeFileTests(StorageServers servers, ITestOutputHelper output)
{
    private const long CacheLimit = 64L << 20;

    [Theory]
    [MemberData(nameof(ObjectStoreMount.StoreKinds), MemberType = typeof(ObjectStoreMount))]
    public async Task A_large_file_is_written_read_back_by_sha256_and_the_cache_limit_holds(string kind)
    {
        var server = servers.For(kind);
        var bucket = server.NewBucket();
        var mib = TestScale.LargeFileMiB;
        var cache = Directory.CreateTempSubdirectory("hive-objcache-").FullName;
        try
        {
            using (var f = ObjectStoreMount.Mount(servers, kind, bucket: bucket, cache: cache, cacheLimit: CacheLimit, timeout: TimeSpan.FromSeconds(60)))
            {
                // Different MiBs (a counter in each), written in 1 MiB writes; the digest is of what was written.
                var result = f.Python($$"""
import hashlib, time
block = bytearray(os.urandom(1 << 20))
def chunks():
    for i in range({{mib}}):
        block[0:8] = i.to_bytes(8, 'little'); yield bytes(block)
t = time.monotonic(); written = hashlib.sha256()
with open('big.bin', 'wb') as fh:
    for c in chunks(): fh.write(c); written.update(c)
print(f'write+upload {time.monotonic() - t:.1f} s', flush=True)
assert os.stat('big.bin').st_size == {{mib}} << 20
t = time.monotonic(); read = hashlib.sha256()
with open('big.bin', 'rb') as fh:
    while c := fh.read(1 << 20): read.update(c)
print(f'read {time.monotonic() - t:.1f} s', flush=True)
assert read.hexdigest() == written.hexdigest(), (read.hexdigest(), written.hexdigest())
with open('big.bin', 'rb') as fh:
    fh.seek({{mib * 3 / 4}} << 20); c = fh.read(16)
assert int.from_bytes(c[0:8], 'little') == {{mib * 3 / 4}} and c[8:16] == bytes(block[8:16]), c
print('sha256', read.hexdigest())
""", timeoutSeconds: 1200).AssertOk();
                output.WriteLine($"{kind}, {mib} MiB: {result.Stdout.Replace("\n", "; ")}");
                Assert.True(CachedBytes(cache) <= CacheLimit, $"the cache holds {CachedBytes(cache)} bytes, over its limit of {CacheLimit}");
            }
            using var store = server.Store(bucket);
            var head = await store.HeadAsync("big.bin", CancellationToken.None);
            Assert.Equal((long)mib << 20, head!.Size);
            Assert.True(head.Size > S3ObjectStore.MultipartThreshold); // so S3 took it in parts
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    private static long CachedBytes(string cache) =>
        new DirectoryInfo(Path.Combine(cache, "data")).GetFiles().Sum(f => f.Length);
}
