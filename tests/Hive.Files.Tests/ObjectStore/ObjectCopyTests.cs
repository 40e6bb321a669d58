using System.Text;
using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// The copy through the host (<see cref="ObjectCopy.ThroughHostAsync"/>) that S3 and GCS stores fall back to, asked of
/// real servers directly: s3rver copies inside the store, so a rename on an s3 mount never reaches it.
/// </summary>
[Collection("objstore")]
public class ObjectCopyTests(StorageServers servers)
{
    [Theory]
    [InlineData("s3")]
    [InlineData("gcs")]
    public async Task A_file_and_a_symlink_are_copied_through_the_host(string kind)
    {
        var server = servers.For(kind);
        using var store = server.Store(server.NewBucket());
        var ct = CancellationToken.None;
        var content = new byte[300_000];
        Random.Shared.NextBytes(content);
        await store.PutAsync("d/file.bin", content, WriteCondition.None, ct);
        await store.PutSymlinkAsync("d/link", "../target/elsewhere", WriteCondition.None, ct);

        var file = await ObjectCopy.ThroughHostAsync(store, (await store.HeadAsync("d/file.bin", ct))!, "d/file.bin", "e/file.bin", ct);
        await ObjectCopy.ThroughHostAsync(store, (await store.HeadAsync("d/link", ct))!, "d/link", "e/link", ct);

        Assert.Equal(content.Length, file.Size);
        using var copied = new MemoryStream();
        Assert.NotNull(await store.GetAsync("e/file.bin", copied, 0, null, ct));
        Assert.Equal(content, copied.ToArray());
        Assert.NotEqual(true, (await store.HeadAsync("e/file.bin", ct))!.Symlink);
        Assert.True((await store.HeadAsync("e/link", ct))!.Symlink);
        using var target = new MemoryStream();
        await store.GetAsync("e/link", target, 0, null, ct);
        Assert.Equal("../target/elsewhere", Encoding.UTF8.GetString(target.ToArray()));
        await Assert.ThrowsAsync<FileNotFoundException>(() =>
            ObjectCopy.ThroughHostAsync(store, file with { Key = "d/none" }, "d/none", "e/none", ct));
    }
}
