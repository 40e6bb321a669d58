using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Hive.Files.Backends;
using Hive.Files.Native;

namespace Hive.Files.ObjectStores;

/// <summary>
/// A mount whose files are objects in a bucket or container (<see cref="IObjectStore"/>): directories are key prefixes
/// (an empty <c>dir/</c> marker object keeps an empty one), files are objects. An open file is a whole copy in the
/// host's cache; what was written is uploaded when the file is flushed (every close) or fsynced, conditionally on the
/// version it was made from, so a newer object written elsewhere is never silently replaced (the local copy is saved
/// beside it instead and the close fails with EIO). Failed uploads stay in a journal and are retried, also by the next
/// daemon. Rename is copy then delete (a directory: object by object, not atomic). A symlink is an object holding its
/// target, marked in its metadata the way the store's own FUSE tools mark one (<see cref="IObjectStore.PutSymlinkAsync"/>);
/// it is data here, never followed: the kernel resolves it inside the sandbox, and opening one by its own name is ELOOP.
/// Hard links, device nodes and xattrs are refused; mode bits, owners and times are not kept (files 0644, directories
/// 0755, symlinks 0777, owned by the sandbox's user, modification time from the store). Reads and writes pass through
/// the daemon (no FUSE passthrough), so every write is seen.
/// </summary>
public sealed partial class ObjectStoreBackend : IFsBackend
{
    private const int PageSize = 1000;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly IObjectStore _store;
    private readonly ObjectStoreOptions _options;
    private readonly string _prefix;
    private readonly ObjectCache _cache;
    private readonly UploadJournal _journal;
    private readonly ConcurrentDictionary<string, ulong> _inodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (FileStat Stat, long Expires)> _stats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Listing> _listings = new();
    /// <summary>Whether a version of an object (key and ETag) is a symlink, for listings that do not say (S3).</summary>
    private readonly ConcurrentDictionary<string, (string ETag, bool Symlink)> _kinds = new(StringComparer.Ordinal);
    /// <summary>Symlink targets already read, by key, with the version they were read from.</summary>
    private readonly ConcurrentDictionary<string, (string ETag, string Target)> _targets = new(StringComparer.Ordinal);
    private readonly long _mounted = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private long _nextInode = 1;
    private long _nextHandle;
    private readonly Timer _retry;
    private int _disposed;

    public ObjectStoreBackend(IObjectStore store, ObjectStoreOptions options)
    {
        _store = store;
        _options = options;
        _prefix = string.IsNullOrEmpty(options.Prefix) ? "" : options.Prefix.Trim('/') + "/";
        _cache = new ObjectCache(options.CacheDirectory, options.CacheLimit);
        _journal = new UploadJournal(options.CacheDirectory);
        Description = store.Description + "/" + _prefix;
        // Uploads a previous daemon left unfinished go first, in the background; then every RetryInterval.
        _retry = new Timer(_ => RetryPending(), null, TimeSpan.Zero, options.RetryInterval);
    }

    public string Description { get; }

    /// <summary>Uploads waiting in the journal (the store was away, or the daemon stopped before they finished).</summary>
    public int PendingUploads => _journal.All().Count;

    // ---- names ------------------------------------------------------------------------------------------------------

    private static bool TryName(ReadOnlySpan<byte> path, out string name)
    {
        try
        {
            name = StrictUtf8.GetString(path);
            return true;
        }
        catch (DecoderFallbackException)
        {
            name = "";
            return false;
        }
    }

    private string Key(string path) => _prefix + path;

    /// <summary>The prefix listing a directory's entries: <c>prefix/dir/</c> (the root: the mount's prefix).</summary>
    private string DirectoryPrefix(string path) => path.Length == 0 ? _prefix : _prefix + path + "/";

    /// <summary>The marker object of the directory at <paramref name="path"/>.</summary>
    private string Marker(string path) => _store.DirectoryMarker(DirectoryPrefix(path));

    private static string Parent(string path) => path.LastIndexOf('/') is var i and >= 0 ? path[..i] : "";

    private ulong Inode(string path) => path.Length == 0 ? 1 : _inodes.GetOrAdd(path, _ => (ulong)Interlocked.Increment(ref _nextInode));

    private FileStat FileAttributes(string path, long size, DateTimeOffset modified, bool symlink = false)
    {
        var seconds = modified.ToUnixTimeSeconds();
        var nanoseconds = (uint)(modified.ToUnixTimeMilliseconds() % 1000 * 1_000_000);
        return new FileStat
        {
            Ino = Inode(path), Size = (ulong)size, Blocks = ((ulong)size + 511) / 512, Mode = symlink ? Libc.S_IFLNK | 0x1FF : Libc.S_IFREG | 0x1A4, Nlink = 1,
            Uid = _options.Uid, Gid = _options.Gid, Blksize = 4096,
            Mtime = seconds, MtimeNsec = nanoseconds, Ctime = seconds, CtimeNsec = nanoseconds, Atime = seconds, AtimeNsec = nanoseconds,
        };
    }

    private FileStat DirectoryAttributes(string path) => new()
    {
        Ino = Inode(path), Mode = Libc.S_IFDIR | 0x1ED, Nlink = 2, Uid = _options.Uid, Gid = _options.Gid, Blksize = 4096,
        Mtime = _mounted, Ctime = _mounted, Atime = _mounted,
    };

    // ---- the store, with a deadline ---------------------------------------------------------------------------------

    /// <summary>
    /// Runs one store call under the timeout (a transfer of <paramref name="bytes"/>: one timeout per 16 MiB, the size of
    /// a part); failures become the store's exceptions.
    /// </summary>
    private T Call<T>(Func<CancellationToken, Task<T>> call, long bytes = 0)
    {
        var timeout = _options.Timeout * (1 + bytes / (16L << 20));
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return call(deadline.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested)
        {
            throw new ObjectStoreException($"{_store.Description} did not answer within {timeout.TotalSeconds:0.#} s", ObjectStoreFailure.Unreachable, e);
        }
        catch (ObjectStoreException e) when (deadline.IsCancellationRequested && e.Failure == ObjectStoreFailure.Unreachable)
        {
            throw new ObjectStoreException($"{_store.Description} did not answer within {timeout.TotalSeconds:0.#} s", ObjectStoreFailure.Unreachable, e);
        }
    }

    /// <summary>The errno for a failed store call; logs what the store answered.</summary>
    private int Fail(Exception e, string what)
    {
        switch (e)
        {
            case FileNotFoundException:
                return Errno.ENOENT;
            case ObjectStoreException s:
                _options.Log?.Invoke($"object store: {what}: {s.Message}");
                return s.Failure == ObjectStoreFailure.Denied ? Errno.EACCES : Errno.EIO;
            case ObjectConflictException:
                _options.Log?.Invoke($"object store: {what}: changed by another writer");
                return Errno.EIO;
            case IOException or UnauthorizedAccessException:
                _options.Log?.Invoke($"object store: {what}: local cache: {e.Message}");
                return Errno.EIO;
            default:
                throw e;
        }
    }

    // ---- attributes -------------------------------------------------------------------------------------------------

    public int Stat(ReadOnlySpan<byte> path, out FileStat stat)
    {
        stat = default;
        if (!TryName(path, out var name)) return Errno.EINVAL;
        try
        {
            return StatName(name, out stat);
        }
        catch (Exception e)
        {
            return Fail(e, "stat " + name);
        }
    }

    private int StatName(string path, out FileStat stat)
    {
        stat = default;
        if (path.Length == 0)
        {
            stat = DirectoryAttributes("");
            return 0;
        }
        if (_local.TryGetValue(path, out var local) && !local.Unlinked && LocalStat(local, out stat)) return 0;
        if (_stats.TryGetValue(path, out var cached) && cached.Expires > Stopwatch.GetTimestamp())
        {
            // Mode 0: known absent (a lookup's answer, reused by the create that follows it).
            stat = cached.Stat;
            return stat.Mode == 0 ? Errno.ENOENT : 0;
        }
        var key = Key(path);
        // A name last seen as a file is asked about as one first; any other, both questions at once, so that a lookup
        // of a new file's name (in a directory the kernel keeps locked meanwhile) costs one round trip, not two.
        var wasFile = cached.Stat.Mode != 0 && !cached.Stat.IsDirectory;
        try
        {
            var (head, below) = Call(async ct =>
            {
                var file = _store.HeadAsync(key, ct);
                if (wasFile && await file is { } found) return ((ObjectInfo?)found, (ObjectPage?)null);
                var directory = _store.ListAsync(key + "/", "/", null, 1, ct);
                return (await file, (ObjectPage?)await directory);
            });
            if (head is not null)
                stat = FileAttributes(path, head.Size, head.LastModified, Known(head));
            else
            {
                if (below!.Objects.Count == 0 && below.Prefixes.Count == 0)
                {
                    Remember(path, default);
                    return Errno.ENOENT;
                }
                stat = DirectoryAttributes(path);
            }
        }
        catch (ObjectStoreException) when (HasLocalBelow(path))
        {
            // The store is away, but files of this mount not uploaded yet lie below: the directory is there, so the agent
            // can still reach its own files (without this, resolving d/ fails and so does every path through it).
            stat = DirectoryAttributes(path);
            return 0;
        }
        Remember(path, stat);
        return 0;
    }

    /// <summary>Notes whether this version of the object is a symlink (when the answer says); true when it is.</summary>
    private bool Known(ObjectInfo o)
    {
        if (o.Symlink is not { } symlink) return _kinds.TryGetValue(o.Key, out var k) && k.ETag == o.ETag && k.Symlink;
        if (o.ETag.Length > 0) _kinds[o.Key] = (o.ETag, symlink);
        return symlink;
    }

    /// <summary>
    /// Objects of a listing that may be symlinks the listing could not mark (S3 lists no metadata): the size of a target
    /// (1 to 4095 bytes) and a version not seen yet. Each is asked once per version, several at a time.
    /// </summary>
    private void LearnKinds(List<ObjectInfo> objects)
    {
        var unknown = objects.Where(o => o.Symlink is null && o.Size is > 0 and < 4096
            && !(_kinds.TryGetValue(o.Key, out var k) && k.ETag == o.ETag)).ToList();
        if (unknown.Count == 0) return;
        Parallel.ForEach(unknown, new ParallelOptions { MaxDegreeOfParallelism = 8 }, o =>
        {
            if (Call(ct => _store.HeadAsync(o.Key, ct)) is { } head) Known(head);
        });
    }

    private bool HasLocalBelow(string path)
    {
        var below = path + "/";
        foreach (var (p, local) in _local)
            if (!local.Unlinked && p.StartsWith(below, StringComparison.Ordinal)) return true;
        return false;
    }

    private void Remember(string path, in FileStat stat) =>
        _stats[path] = (stat, Stopwatch.GetTimestamp() + (long)(_options.MetadataTtl.TotalSeconds * Stopwatch.Frequency));

    /// <summary>Drops cached attributes of <paramref name="path"/> (and, for a directory, of everything below it).</summary>
    private void Forget(string path, bool below = false)
    {
        _stats.TryRemove(path, out _);
        if (!below) return;
        _markers.TryRemove(path, out _);
        var prefix = path + "/";
        foreach (var key in _stats.Keys)
            if (key.StartsWith(prefix, StringComparison.Ordinal)) _stats.TryRemove(key, out _);
        foreach (var key in _markers.Keys)
            if (key.StartsWith(prefix, StringComparison.Ordinal)) _markers.TryRemove(key, out _);
    }

    public int StatAt(long directory, ReadOnlySpan<byte> name, out FileStat stat)
    {
        stat = default;
        if (!_listings.TryGetValue(directory, out var listing) || !TryName(name, out var entry)) return Errno.EBADF;
        foreach (var e in listing.Entries)
            if (e.Name == entry)
            {
                stat = e.Stat;
                return 0;
            }
        return Errno.ENOENT;
    }

    public int StatHandle(long handle, out FileStat stat)
    {
        stat = default;
        if (_ranged.TryGetValue(handle, out var ranged))
        {
            stat = RangedStat(ranged);
            return 0;
        }
        if (!_open.TryGetValue(handle, out var open)) return Errno.EBADF;
        return LocalStat(open.Object, out stat) ? 0 : Errno.EIO;
    }

    /// <summary>The target stored in a symlink object; read from the store once per version.</summary>
    public int ReadLink(ReadOnlySpan<byte> path, Span<byte> target, out int length)
    {
        length = 0;
        if (!TryName(path, out var name) || name.Length == 0) return Errno.EINVAL;
        try
        {
            var key = Key(name);
            var head = Call(ct => _store.HeadAsync(key, ct));
            if (head is null) return Errno.ENOENT;
            if (!Known(head)) return Errno.EINVAL;
            if (!_targets.TryGetValue(key, out var known) || known.ETag != head.ETag)
            {
                using var content = new MemoryStream();
                var got = Call(ct => _store.GetAsync(key, content, 0, null, ct));
                if (got is null) return Errno.ENOENT;
                known = (head.ETag, Encoding.UTF8.GetString(content.ToArray()));
                _targets[key] = known;
            }
            var bytes = Encoding.UTF8.GetBytes(known.Target);
            length = Math.Min(bytes.Length, target.Length);
            bytes.AsSpan(0, length).CopyTo(target);
            return 0;
        }
        catch (Exception e)
        {
            return Fail(e, "readlink " + name);
        }
    }

    public int SetAttributes(ReadOnlySpan<byte> path, long handle, in SetAttributes request, out FileStat stat)
    {
        stat = default;
        if (!TryName(path, out var name)) return Errno.EINVAL;
        var error = handle >= 0 ? StatHandle(handle, out stat) : Stat(path, out stat);
        if (error != 0) return error;
        if ((request.Valid & SetAttributesMask.Size) == 0) return 0; // mode, owner and times are not kept: accepted, unchanged
        if (stat.IsDirectory) return Errno.EISDIR;
        if (stat.IsSymlink) return Errno.EINVAL;
        if (handle >= 0) return Truncate(handle, request.Size, out stat);
        error = Open(path, Libc.O_WRONLY, out var temporary);
        if (error != 0) return error;
        error = Truncate(temporary, request.Size, out stat);
        if (error == 0) error = Flush(temporary);
        Close(temporary);
        return error != 0 ? error : Stat(path, out stat);
    }

    // ---- directories ------------------------------------------------------------------------------------------------

    private sealed record ListingEntry(string Name, FileStat Stat);

    private sealed record Listing(IReadOnlyList<ListingEntry> Entries);

    public int OpenDirectory(ReadOnlySpan<byte> path, out long handle)
    {
        handle = -1;
        if (!TryName(path, out var name)) return Errno.EINVAL;
        try
        {
            var error = StatName(name, out var stat);
            if (error != 0) return error;
            if (!stat.IsDirectory) return Errno.ENOTDIR;
            var listing = List(name);
            handle = Interlocked.Increment(ref _nextHandle);
            _listings[handle] = listing;
            return 0;
        }
        catch (Exception e)
        {
            return Fail(e, "list " + name);
        }
    }

    /// <summary>
    /// Every entry of a directory, page by page from the store, with the files this mount has not uploaded yet. A name
    /// that is both an object and a prefix shows as the directory.
    /// </summary>
    private Listing List(string path)
    {
        var prefix = DirectoryPrefix(path);
        var entries = new List<ListingEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? continuation = null;
        var files = new List<ObjectInfo>();
        do
        {
            var page = Call(ct => _store.ListAsync(prefix, "/", continuation, PageSize, ct));
            foreach (var p in page.Prefixes)
            {
                var name = p[prefix.Length..].TrimEnd('/');
                if (!ValidEntry(name) || !seen.Add(name)) continue;
                var child = Child(path, name);
                var stat = DirectoryAttributes(child);
                Remember(child, stat);
                entries.Add(new ListingEntry(name, stat));
            }
            files.AddRange(page.Objects);
            continuation = page.Continuation;
        } while (continuation is not null);
        var marker = Marker(path);
        LearnKinds(files);
        foreach (var o in files)
        {
            var name = o.Key[prefix.Length..];
            if (o.Key == marker || !ValidEntry(name) || !seen.Add(name)) continue; // the directory's own marker
            var child = Child(path, name);
            var stat = FileAttributes(child, o.Size, o.LastModified, Known(o));
            if (_local.TryGetValue(child, out var local) && !local.Unlinked) LocalStat(local, out stat);
            Remember(child, stat);
            entries.Add(new ListingEntry(name, stat));
        }
        foreach (var (localPath, local) in _local)
        {
            if (local.Unlinked || Parent(localPath) != path) continue;
            var name = path.Length == 0 ? localPath : localPath[(path.Length + 1)..];
            if (seen.Add(name) && LocalStat(local, out var stat)) entries.Add(new ListingEntry(name, stat));
        }
        return new Listing(entries);
    }

    private static string Child(string path, string name) => path.Length == 0 ? name : path + "/" + name;

    private static bool ValidEntry(string name) =>
        name.Length > 0 && name != "." && name != ".." && !name.Contains('/') && Encoding.UTF8.GetByteCount(name) <= 255;

    public int ReadDirectory<TVisitor>(long handle, long offset, ref TVisitor visitor) where TVisitor : IDirectoryVisitor, allows ref struct
    {
        if (!_listings.TryGetValue(handle, out var listing)) return Errno.EBADF;
        for (var i = (int)offset; i < listing.Entries.Count + 2; i++)
        {
            bool more;
            if (i < 2) more = visitor.Entry(i == 0 ? "."u8 : ".."u8, 1, 4, i + 1);
            else
            {
                var e = listing.Entries[i - 2];
                more = visitor.Entry(Encoding.UTF8.GetBytes(e.Name), e.Stat.Ino, (e.Stat.Mode & Libc.S_IFMT) >> 12, i + 1);
            }
            if (!more) return 0;
        }
        return 0;
    }

    public int CloseDirectory(long handle) => _listings.TryRemove(handle, out _) ? 0 : Errno.EBADF;

    public int Mkdir(ReadOnlySpan<byte> path, uint mode, uint uid, uint gid, out FileStat stat)
    {
        stat = default;
        if (!TryName(path, out var name)) return Errno.EINVAL;
        try
        {
            var error = StatName(name, out _);
            if (error == 0) return Errno.EEXIST;
            if (error != Errno.ENOENT) return error;
            Call(ct => _store.PutAsync(Marker(name), ReadOnlyMemory<byte>.Empty, WriteCondition.None, ct));
            MarkerKnown(name);
            stat = DirectoryAttributes(name);
            Remember(name, stat);
            return 0;
        }
        catch (Exception e)
        {
            return Fail(e, "mkdir " + name);
        }
    }

    public int Rmdir(ReadOnlySpan<byte> path)
    {
        if (!TryName(path, out var name) || name.Length == 0) return Errno.EINVAL;
        try
        {
            var error = StatName(name, out var stat);
            if (error != 0) return error;
            if (!stat.IsDirectory) return Errno.ENOTDIR;
            var marker = Marker(name);
            var page = Call(ct => _store.ListAsync(DirectoryPrefix(name), null, null, 2, ct));
            if (page.Objects.Any(o => o.Key != marker) || _local.Keys.Any(k => k.StartsWith(name + "/", StringComparison.Ordinal) && !_local[k].Unlinked))
                return Errno.ENOTEMPTY;
            Call(ct => _store.DeleteAsync(marker, ct));
            Forget(name, below: true);
            KeepParent(name);
            return 0;
        }
        catch (Exception e)
        {
            return Fail(e, "rmdir " + name);
        }
    }

    /// <summary>
    /// After the last entry of a directory went, a directory made only of prefixes would vanish with it: an empty marker
    /// object keeps it (as a local file system would).
    /// </summary>
    private void KeepParent(string path)
    {
        var parent = Parent(path);
        if (parent.Length == 0) return;
        // Removing many files of one directory asks the store once every few seconds, not once a file.
        if (_markers.TryGetValue(parent, out var until) && until > Stopwatch.GetTimestamp()) return;
        try
        {
            Call(ct => _store.PutAsync(Marker(parent), ReadOnlyMemory<byte>.Empty, WriteCondition.Absent, ct));
        }
        catch (ObjectConflictException)
        {
            // The marker is there already.
        }
        MarkerKnown(parent);
    }

    /// <summary>Directories whose marker object this mount made or saw recently, until when that is trusted.</summary>
    private readonly ConcurrentDictionary<string, long> _markers = new(StringComparer.Ordinal);

    private void MarkerKnown(string path) => _markers[path] = Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency;

    public int Unlink(ReadOnlySpan<byte> path)
    {
        if (!TryName(path, out var name) || name.Length == 0) return Errno.EINVAL;
        try
        {
            var error = StatName(name, out var stat);
            if (error != 0) return error;
            if (stat.IsDirectory) return Errno.EISDIR;
            var hadLocal = DropLocal(name);
            var deleted = Call(ct => _store.DeleteAsync(Key(name), ct));
            Forget(name);
            if (!deleted && !hadLocal) return Errno.ENOENT;
            KeepParent(name);
            return 0;
        }
        catch (Exception e)
        {
            return Fail(e, "unlink " + name);
        }
    }

    public int Rename(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, uint flags)
    {
        const uint NoReplace = 1, Exchange = 2;
        if ((flags & Exchange) != 0) return Errno.EINVAL; // two objects cannot trade places in one step
        if (!TryName(from, out var source) || !TryName(to, out var target) || source.Length == 0 || target.Length == 0) return Errno.EINVAL;
        if (source == target) return 0;
        if (target.StartsWith(source + "/", StringComparison.Ordinal)) return Errno.EINVAL;
        try
        {
            var error = StatName(source, out var sourceStat);
            if (error != 0) return error;
            error = StatName(target, out var targetStat);
            var targetExists = error == 0;
            if (error != 0 && error != Errno.ENOENT) return error;
            if (targetExists && (flags & NoReplace) != 0) return Errno.EEXIST;
            if (!sourceStat.IsDirectory)
            {
                if (targetExists && targetStat.IsDirectory) return Errno.EISDIR;
                error = RenameFile(source, target);
            }
            else
            {
                if (targetExists && !targetStat.IsDirectory) return Errno.ENOTDIR;
                if (targetExists)
                {
                    var below = Call(ct => _store.ListAsync(DirectoryPrefix(target), null, null, 2, ct));
                    if (below.Objects.Any(o => o.Key != Marker(target))) return Errno.ENOTEMPTY;
                }
                error = RenameDirectory(source, target);
            }
            if (error == 0) KeepParent(source);
            return error;
        }
        catch (Exception e)
        {
            return Fail(e, $"rename {source} to {target}");
        }
    }

    /// <summary>Copy, then delete: another reader may briefly see both names.</summary>
    private int RenameFile(string source, string target)
    {
        if (_local.TryGetValue(source, out var local) && !local.Unlinked)
        {
            // Not uploaded yet (new, or the store was away): upload it under its old name first.
            var error = UploadNow(local);
            if (error != 0) return error;
        }
        var copied = Call(ct => _store.CopyAsync(Key(source), Key(target), ct));
        Call(ct => _store.DeleteAsync(Key(source), ct));
        MoveLocal(source, target, copied.ETag);
        Forget(source);
        Forget(target);
        return 0;
    }

    /// <summary>Object by object (paged), then the old ones deleted: not atomic; a failure half way leaves both trees.</summary>
    private int RenameDirectory(string source, string target)
    {
        foreach (var (path, local) in _local)
            if (path.StartsWith(source + "/", StringComparison.Ordinal) && !local.Unlinked && UploadNow(local) is var error and not 0) return error;
        var from = Key(source) + "/";
        var to = Key(target) + "/";
        var keys = new List<string>();
        string? continuation = null;
        do
        {
            var page = Call(ct => _store.ListAsync(from, null, continuation, PageSize, ct));
            keys.AddRange(page.Objects.Select(o => o.Key));
            continuation = page.Continuation;
        } while (continuation is not null);
        // The target keeps its directory even when the source was one only by prefix.
        if (!keys.Contains(Marker(source))) Call(ct => _store.PutAsync(Marker(target), ReadOnlyMemory<byte>.Empty, WriteCondition.None, ct));
        foreach (var key in keys)
        {
            var copied = Call(ct => _store.CopyAsync(key, to + key[from.Length..], ct));
            var relative = key[from.Length..];
            if (relative.Length > 0) MoveLocal(source + "/" + relative, target + "/" + relative, copied.ETag);
        }
        foreach (var key in keys) Call(ct => _store.DeleteAsync(key, ct));
        Forget(source, below: true);
        Forget(target, below: true);
        return 0;
    }

    // ---- what objects cannot be -------------------------------------------------------------------------------------

    public int Mknod(ReadOnlySpan<byte> path, uint mode, uint uid, uint gid, out FileStat stat)
    {
        stat = default;
        return Errno.EPERM;
    }

    /// <summary>Stores the link as an object holding <paramref name="target"/>, which is never resolved here.</summary>
    public int Symlink(ReadOnlySpan<byte> target, ReadOnlySpan<byte> path, uint uid, uint gid, out FileStat stat)
    {
        stat = default;
        if (!TryName(path, out var name) || name.Length == 0 || !TryName(target, out var to) || to.Length == 0 || to.Contains('\0')) return Errno.EINVAL;
        try
        {
            var error = StatName(name, out _);
            if (error == 0) return Errno.EEXIST;
            if (error != Errno.ENOENT) return error;
            var key = Key(name);
            var made = Call(ct => _store.PutSymlinkAsync(key, to, WriteCondition.Absent, ct));
            _kinds[key] = (made.ETag, true);
            _targets[key] = (made.ETag, to);
            stat = FileAttributes(name, made.Size, DateTimeOffset.UtcNow, symlink: true);
            Remember(name, stat);
            return 0;
        }
        catch (NotSupportedException)
        {
            return Errno.EPERM;
        }
        catch (ObjectConflictException)
        {
            Forget(name);
            return Errno.EEXIST;
        }
        catch (Exception e)
        {
            return Fail(e, "symlink " + name);
        }
    }

    public int Link(ReadOnlySpan<byte> existing, ReadOnlySpan<byte> path, out FileStat stat)
    {
        stat = default;
        return Errno.EPERM;
    }

    public int StatFs(out FsStats stats)
    {
        // An object store has no fixed size: a large, mostly free file system (as other object-store mounts report).
        stats = new FsStats { Blocks = 1UL << 40, Bfree = 1UL << 40, Bavail = 1UL << 40, Files = 1UL << 32, Ffree = 1UL << 32, Bsize = 4096, Frsize = 4096, NameMax = 255 };
        return 0;
    }

    public int GetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, Span<byte> value, out int size)
    {
        size = 0;
        return Errno.ENODATA;
    }

    public int SetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags) => Errno.EOPNOTSUPP;

    public int ListXattr(ReadOnlySpan<byte> path, Span<byte> list, out int size)
    {
        size = 0;
        return 0;
    }

    public int RemoveXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name) => Errno.EOPNOTSUPP;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using (var stopped = new ManualResetEvent(false))
            if (_retry.Dispose(stopped)) stopped.WaitOne(_options.Timeout * 2);
        // A retry already running finishes its call (bounded by the timeout) before the store goes.
        var wait = Stopwatch.StartNew();
        while (Volatile.Read(ref _retrying) != 0 && wait.Elapsed < _options.Timeout * 2) Thread.Sleep(10);
        foreach (var open in _open.Values) Libc.Close(open.Fd);
        _open.Clear();
        _ranged.Clear();
        _store.Dispose();
    }
}
