using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hive.Files.ObjectStores;

/// <summary>
/// Closed files whose upload has not succeeded yet: one small JSON file per key under <c>pending/</c>, written (and
/// synced) before an upload starts and removed when it succeeded, so a daemon that dies or a store that is away loses
/// no closed file: the next backend over the same cache uploads what is listed.
/// </summary>
internal sealed class UploadJournal
{
    private readonly string _directory;

    public UploadJournal(string directory)
    {
        _directory = Path.Combine(directory, "pending");
        Directory.CreateDirectory(_directory);
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
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, entry, JournalJson.Default.Entry);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, target, overwrite: true);
    }

    public void Remove(string key) => File.Delete(Location(key));

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
