namespace Hive.Files.ObjectStores;

/// <summary>
/// A copy inside one store made by the host, for what the store's own copy cannot do (S3: objects over 5 GiB, or a
/// service whose copy does not work; GCS: a service without rewrite).
/// </summary>
internal static class ObjectCopy
{
    /// <summary>
    /// Copies <paramref name="from"/>, whose HEAD is <paramref name="head"/>, to <paramref name="to"/> by reading it and
    /// writing it again: a symlink stays one (its target is small, read into memory); anything else goes down and up
    /// again through a temporary file, so an object of any size fits.
    /// </summary>
    public static async Task<ObjectInfo> ThroughHostAsync(IObjectStore store, ObjectInfo head, string from, string to, CancellationToken ct)
    {
        if (head.Symlink == true)
        {
            using var target = new MemoryStream();
            if (await store.GetAsync(from, target, 0, null, ct) is null) throw new FileNotFoundException(from);
            return await store.PutSymlinkAsync(to, System.Text.Encoding.UTF8.GetString(target.ToArray()), WriteCondition.None, ct);
        }
        var temp = Path.Combine(Path.GetTempPath(), "hive-object-copy-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                if (await store.GetAsync(from, file, 0, null, ct) is null) throw new FileNotFoundException(from);
            return await store.PutFileAsync(to, temp, WriteCondition.None, ct);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
