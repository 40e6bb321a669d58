using System.Security.Cryptography;
using System.Text;

namespace Hive.Files.ObjectStores;

/// <summary>
/// The per-host copies of objects: one file per key under <c>data/</c>, named by a hash of the key, and beside it
/// <c>.etag</c> naming the version it holds. A copy without <c>.etag</c> is being changed (or was, when the daemon died)
/// and is never served as clean. Past <see cref="Limit"/> bytes, the least recently used clean copies nobody has open
/// are removed.
/// </summary>
internal sealed class ObjectCache
{
    private readonly string _data;
    private readonly string _temp;
    private readonly Lock _trim = new();

    public ObjectCache(string directory, long limit)
    {
        Directory = directory;
        Limit = limit;
        _data = Path.Combine(directory, "data");
        _temp = Path.Combine(directory, "tmp");
        System.IO.Directory.CreateDirectory(_data);
        System.IO.Directory.CreateDirectory(_temp);
        foreach (var stale in System.IO.Directory.GetFiles(_temp)) File.Delete(stale);
    }

    public string Directory { get; }
    public long Limit { get; }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The file that holds (or will hold) the copy of <paramref name="key"/>.</summary>
    public string FileFor(string key) => Path.Combine(_data, Hash(key));

    /// <summary>A new private file name for a download or a copy in progress.</summary>
    public string TempFile() => Path.Combine(_temp, Guid.NewGuid().ToString("N"));

    /// <summary>The version the copy holds, or null when it is not a clean copy.</summary>
    public string? ETag(string file)
    {
        try
        {
            var etag = File.ReadAllText(file + ".etag");
            File.SetLastWriteTimeUtc(file + ".etag", DateTime.UtcNow); // recently used
            return File.Exists(file) ? etag : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void SetETag(string file, string etag)
    {
        var temp = TempFile();
        File.WriteAllText(temp, etag);
        File.Move(temp, file + ".etag", overwrite: true);
    }

    /// <summary>The copy is about to change: it is no longer the version it names.</summary>
    public void Dirty(string file) => File.Delete(file + ".etag");

    public void Remove(string file)
    {
        File.Delete(file + ".etag");
        File.Delete(file);
    }

    private long _trimmed;

    /// <summary>
    /// Removes least recently used clean copies until the cache is under its limit; <paramref name="inUse"/> are kept.
    /// Looking costs a scan of the cache (a stat per copy, under the backend's lock), so it is done at most every
    /// 10 s unless <paramref name="now"/> (a large copy just came or went): small copies overshoot the limit briefly.
    /// </summary>
    public void Trim(Func<string, bool> inUse, bool now = false)
    {
        var last = Interlocked.Read(ref _trimmed);
        if (!now && System.Diagnostics.Stopwatch.GetElapsedTime(last) < TimeSpan.FromSeconds(10) && last != 0) return;
        Interlocked.Exchange(ref _trimmed, System.Diagnostics.Stopwatch.GetTimestamp());
        lock (_trim)
        {
            var files = new DirectoryInfo(_data).GetFiles().Where(f => f.Extension != ".etag").ToList();
            var total = files.Sum(f => f.Length);
            if (total <= Limit) return;
            var clean = files
                .Select(f => (File: f, Used: File.Exists(f.FullName + ".etag") ? File.GetLastWriteTimeUtc(f.FullName + ".etag") : (DateTime?)null))
                .Where(x => x.Used is not null && !inUse(x.File.FullName))
                .OrderBy(x => x.Used);
            foreach (var (file, _) in clean)
            {
                if (total <= Limit) break;
                total -= file.Length;
                Remove(file.FullName);
            }
        }
    }
}
