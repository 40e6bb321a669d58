using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hive.Files.ObjectStores;

/// <summary>
/// Closed files whose upload has not succeeded yet: one small JSON file per key under <c>pending/</c>, written (and
/// synced) before an upload starts and removed when it succeeded, so a daemon that dies or a store that is away loses
/// no closed file: the next backend over the same cache uploads what is listed.
/// </summary>
/// <remarks>
/// A removed entry's file is renamed to a spare (<c>*.free</c>, never read) that the next entry is written into, rather
/// than deleted and a new one created: every upload would otherwise free one inode and make another, and on ext4 without
/// a journal each new inode is found by skipping every one freed in the last half minute (<c>recently_deleted</c>), which
/// cost a tenth of the daemon's CPU when small files were written one after another.
/// </remarks>
internal sealed class UploadJournal
{
    private const int MaxSpares = 16;
    private readonly string _directory;
    private readonly ConcurrentBag<string> _spares = [];

    public UploadJournal(string directory)
    {
        _directory = Path.Combine(directory, "pending");
        Directory.CreateDirectory(_directory);
        foreach (var stale in Directory.GetFiles(_directory, "*.free")) File.Delete(stale);
    }

    /// <param name="Key">The object name to write.</param>
    /// <param name="Path">The in-mount path (for events).</param>
    /// <param name="BaseETag">The version the local copy was made from; null for a new object.</param>
    /// <param name="File">The cache file holding the content.</param>
    internal sealed record Entry(string Key, string Path, string? BaseETag, string File);

    public void Add(Entry entry)
    {
        var target = Location(entry.Key);
        var temp = target + ".tmp";
        if (_spares.TryTake(out var spare))
        {
            try
            {
                File.Move(spare, temp, overwrite: true);
            }
            catch (FileNotFoundException)
            {
            }
        }
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, entry, JournalJson.Default.Entry);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, target, overwrite: true);
    }

    public void Remove(string key)
    {
        var file = Location(key);
        if (_spares.Count >= MaxSpares)
        {
            File.Delete(file);
            return;
        }
        var spare = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".free");
        try
        {
            File.Move(file, spare);
            _spares.Add(spare);
        }
        catch (FileNotFoundException)
        {
            // No entry for this key.
        }
    }

    /// <summary>Whether <paramref name="key"/> still has an entry (an upload not yet done).</summary>
    public bool Contains(string key) => File.Exists(Location(key));

    public IReadOnlyList<Entry> All()
    {
        var entries = new List<Entry>();
        foreach (var file in Directory.GetFiles(_directory, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllText(file), JournalJson.Default.Entry) is { } e) entries.Add(e);
            }
            catch (JsonException)
            {
                File.Delete(file); // torn by a crash before its rename: the upload it describes never started
            }
        }
        return entries;
    }

    private string Location(string key) => Path.Combine(_directory, ObjectCache.Hash(key) + ".json");
}

[JsonSerializable(typeof(UploadJournal.Entry))]
internal sealed partial class JournalJson : JsonSerializerContext;
