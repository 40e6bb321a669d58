using System.Collections.Concurrent;
using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>A real store with every call counted by kind (head, list, get, put, copy, delete), to check what an operation costs.</summary>
public sealed class CountingStore(IObjectStore inner) : IObjectStore
{
    private readonly ConcurrentDictionary<string, int> _calls = new();

    public string Description => inner.Description;

    /// <summary>How many calls of <paramref name="kind"/> were made since the last <see cref="Reset"/>.</summary>
    public int this[string kind] => _calls.GetValueOrDefault(kind);

    public int Total => _calls.Values.Sum();

    public void Reset() => _calls.Clear();

    public override string ToString() => string.Join(", ", _calls.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"));

    private void Count(string kind) => _calls.AddOrUpdate(kind, 1, (_, n) => n + 1);

    public Task<ObjectPage> ListAsync(string prefix, string? delimiter, string? continuation, int pageSize, CancellationToken ct)
    {
        Count("list");
        return inner.ListAsync(prefix, delimiter, continuation, pageSize, ct);
    }

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct)
    {
        Count("head");
        return inner.HeadAsync(key, ct);
    }

    public Task<ObjectInfo?> GetAsync(string key, Stream destination, long offset, long? length, CancellationToken ct)
    {
        Count("get");
        return inner.GetAsync(key, destination, offset, length, ct);
    }

    public Task<ObjectInfo> PutFileAsync(string key, string path, WriteCondition condition, CancellationToken ct)
    {
        Count("put");
        return inner.PutFileAsync(key, path, condition, ct);
    }

    public Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, WriteCondition condition, CancellationToken ct)
    {
        Count("put");
        return inner.PutAsync(key, content, condition, ct);
    }

    public Task<ObjectInfo> PutSymlinkAsync(string key, string target, WriteCondition condition, CancellationToken ct)
    {
        Count("put");
        return inner.PutSymlinkAsync(key, target, condition, ct);
    }

    public Task<ObjectInfo> CopyAsync(string from, string to, CancellationToken ct)
    {
        Count("copy");
        return inner.CopyAsync(from, to, ct);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        Count("delete");
        return inner.DeleteAsync(key, ct);
    }

    public string DirectoryMarker(string directory) => inner.DirectoryMarker(directory);

    public Task ProbeAsync(CancellationToken ct) => inner.ProbeAsync(ct);

    public void Dispose() => inner.Dispose();
}
