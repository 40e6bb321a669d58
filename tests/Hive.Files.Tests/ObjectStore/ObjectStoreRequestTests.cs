using Hive.Files.ObjectStores;
using Xunit.Abstractions;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// What a small file costs the store, counted on the calls the backend makes (a real store behind a counter) while the
/// files are made through a real FUSE mount: docs/files.md says a lookup of a new name, a check of the version before the
/// write and the conditional write itself.
/// </summary>
[Collection("objstore")]
public class ObjectStoreRequestTests(StorageServers servers, ITestOutputHelper output)
{
    private const int Files = 20;

    [Theory]
    [MemberData(nameof(ObjectStoreMount.StoreKinds), MemberType = typeof(ObjectStoreMount))]
    [InlineData("gcs")]
    public async Task A_new_small_file_costs_a_lookup_a_version_check_and_one_write(string kind)
    {
        var server = servers.For(kind);
        var bucket = server.NewBucket();
        var store = new CountingStore(server.Store(bucket));
        using var f = new FuseFixture(backend: dir => new ObjectStoreBackend(store, ObjectStoreMount.Options(dir, null, null, null)));
        f.Sh("mkdir d").AssertOk();
        store.Reset();
        f.Python($$"""
data = os.urandom(4096)
for i in range({{Files}}):
    fd = os.open('d/f%d' % i, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644); os.write(fd, data); os.close(fd)
""").AssertOk();
        output.WriteLine($"{kind}, {Files} files: {store}");
        Assert.Equal(Files, store["put"]);
        // The lookup (HEAD and a one-name LIST, asked together) and the check before the write (HEAD).
        Assert.InRange(store["head"], Files, 2 * Files);
        Assert.InRange(store["list"], 0, Files);
        Assert.Equal(store["head"] + store["list"] + store["put"], store.Total);
        using var direct = server.Store(bucket);
        var listed = await direct.ListAsync("d/", "/", null, 1000, CancellationToken.None);
        Assert.Equal(Files, listed.Objects.Count(o => o.Size == 4096));
    }
}
