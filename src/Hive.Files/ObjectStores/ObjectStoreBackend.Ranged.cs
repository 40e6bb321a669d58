using System.Collections.Concurrent;
using Hive.Files.Backends;
using Hive.Files.Native;

namespace Hive.Files.ObjectStores;

public sealed partial class ObjectStoreBackend
{
    /// <summary>How much one ranged read fetches (and keeps, per open handle) from the store.</summary>
    public const int RangeSize = 8 << 20;

    /// <summary>
    /// A read-only open of an object too large for the cache: nothing is copied to the host's disk; reads fetch
    /// <see cref="RangeSize"/> bytes at a time from the version that was opened. When that version is replaced meanwhile,
    /// reads fail with EIO rather than mix two versions.
    /// </summary>
    private sealed class RangedRead(string path, ObjectInfo version)
    {
        public readonly string Path = path;
        public readonly ObjectInfo Version = version;
        public readonly Lock Sync = new();
        public long Start = -1;
        public byte[] Window = [];
        public int Length;
    }

    private readonly ConcurrentDictionary<long, RangedRead> _ranged = new();

    /// <summary>
    /// Whether a read-only open of <paramref name="path"/> is served by range reads: the object is larger than the whole
    /// cache, this mount has no copy of it in use, and the cache holds no clean copy of this version.
    /// </summary>
    private bool TryOpenRanged(string path, int flags, in FileStat stat, out long handle)
    {
        handle = -1;
        if ((long)stat.Size <= _cache.Limit || (flags & Libc.O_ACCMODE) != Libc.O_RDONLY || (_local.TryGetValue(path, out var local) && !local.Unlinked))
            return false;
        var key = Key(path);
        var head = Call(ct => _store.HeadAsync(key, ct));
        if (head is null || head.Size <= _cache.Limit || _cache.ETag(_cache.FileFor(key)) == head.ETag) return false;
        handle = Interlocked.Increment(ref _nextHandle);
        _ranged[handle] = new RangedRead(path, head);
        return true;
    }

    private int ReadRanged(RangedRead open, Span<byte> buffer, long offset, out int count)
    {
        count = 0;
        var size = open.Version.Size;
        if (offset >= size || buffer.IsEmpty) return 0;
        lock (open.Sync)
        {
            while (count < buffer.Length && offset + count < size)
            {
                var at = offset + count;
                if (at < open.Start || at >= open.Start + open.Length)
                {
                    var error = Fetch(open, at);
                    if (error != 0) return count > 0 ? 0 : error;
                }
                var n = (int)Math.Min(buffer.Length - count, open.Start + open.Length - at);
                open.Window.AsSpan((int)(at - open.Start), n).CopyTo(buffer[count..]);
                count += n;
            }
        }
        return 0;
    }

    /// <summary>Caller holds <c>open.Sync</c>. Fills the window with the range that starts at <paramref name="offset"/>.</summary>
    private int Fetch(RangedRead open, long offset)
    {
        var length = (int)Math.Min(RangeSize, open.Version.Size - offset);
        try
        {
            if (open.Window.Length < length) open.Window = new byte[length];
            using var into = new MemoryStream(open.Window, 0, length, writable: true);
            var key = open.Version.Key;
            var got = Call(ct => _store.GetAsync(key, into, offset, length, ct));
            if (got is null) return Errno.ENOENT;
            if (got.ETag.Length > 0 && got.ETag != open.Version.ETag)
            {
                _options.Log?.Invoke($"object store: {open.Path} was replaced while it was being read; the read fails rather than mix versions");
                return Errno.EIO;
            }
            if (into.Position != length) return Errno.EIO;
            open.Start = offset;
            open.Length = length;
            return 0;
        }
        catch (NotSupportedException)
        {
            // More bytes than asked for (a store that ignored the range): not this version's range.
            return Errno.EIO;
        }
        catch (Exception e)
        {
            return Fail(e, "read " + open.Path);
        }
    }

    private FileStat RangedStat(RangedRead open) => FileAttributes(open.Path, open.Version.Size, open.Version.LastModified);
}
