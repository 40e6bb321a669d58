using System.Collections.Concurrent;
using System.Text;
using Hive.Files.Backends;
using Hive.Files.Native;

namespace Hive.Files.ObjectStores;

public sealed unsafe partial class ObjectStoreBackend
{
    /// <summary>
    /// A file this mount has a local copy of in use: open, or written and not yet in the store. All its handles share
    /// the copy; <see cref="Sync"/> orders uploads.
    /// </summary>
    private sealed class LocalObject(string path, string key, string file)
    {
        public string Path = path;
        public string Key = key;
        public readonly string File = file;
        /// <summary>The version the copy was made from; null when the object did not exist (a new file).</summary>
        public string? BaseETag;
        /// <summary>Changed since it was last uploaded (or made).</summary>
        public bool Dirty;
        /// <summary>An upload failed; the journal holds it until one succeeds.</summary>
        public bool Pending;
        /// <summary>Refused as a conflict: this copy was saved beside; the handles still open may not upload again.</summary>
        public bool Conflicted;
        public bool Unlinked;
        public int Refs;
        public readonly Lock Sync = new();
    }

    private sealed record OpenFile(LocalObject Object, int Fd, bool Writable);

    private readonly ConcurrentDictionary<string, LocalObject> _local = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, OpenFile> _open = new();
    private readonly Lock _localGate = new();

    public bool NeedsFlush => true;

    /// <summary>No passthrough: every write must reach this process, which uploads what changed.</summary>
    public int PassthroughFd(long handle) => -1;

    /// <summary>The attributes of a file from its local copy (in use, or not uploaded yet).</summary>
    private bool LocalStat(LocalObject local, out FileStat stat)
    {
        stat = default;
        try
        {
            var info = new FileInfo(local.File);
            if (!info.Exists) return false;
            stat = FileAttributes(local.Path, info.Length, new DateTimeOffset(info.LastWriteTimeUtc));
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public int Open(ReadOnlySpan<byte> path, int flags, out long handle)
    {
        handle = -1;
        if (!TryName(path, out var name) || name.Length == 0) return Errno.EINVAL;
        try
        {
            var error = StatName(name, out var stat);
            if (error != 0) return error;
            if (stat.IsDirectory) return Errno.EISDIR;
            if (stat.IsSymlink) return Errno.ELOOP; // never followed here (the kernel resolves links before it opens)
            if (TryOpenRanged(name, flags, stat, out handle)) return 0;
            var local = Acquire(name, fetch: true, out error);
            if (local is null) return error;
            return OpenCopy(local, flags, out handle);
        }
        catch (Exception e)
        {
            return Fail(e, "open " + name);
        }
    }

    public int Create(ReadOnlySpan<byte> path, int flags, uint mode, uint uid, uint gid, out long handle, out FileStat stat)
    {
        handle = -1;
        stat = default;
        if (!TryName(path, out var name) || name.Length == 0) return Errno.EINVAL;
        try
        {
            var error = StatName(name, out var existing);
            if (error == 0)
            {
                if ((flags & Libc.O_EXCL) != 0) return Errno.EEXIST;
                if (existing.IsDirectory) return Errno.EISDIR;
                if (existing.IsSymlink) return Errno.ELOOP;
                error = Open(path, flags, out handle);
                return error != 0 ? error : StatHandle(handle, out stat);
            }
            if (error != Errno.ENOENT) return error;
            var local = Acquire(name, fetch: false, out error);
            if (local is null) return error;
            error = OpenCopy(local, flags | Libc.O_TRUNC, out handle);
            if (error != 0) return error;
            lock (local.Sync) local.Dirty = true; // a new file is uploaded at its first flush, even empty
            return StatHandle(handle, out stat);
        }
        catch (Exception e)
        {
            return Fail(e, "create " + name);
        }
    }

    /// <summary>
    /// The local copy of <paramref name="path"/>, counted as in use: the one already in use, a clean cached copy of the
    /// current version, or (with <paramref name="fetch"/>) the whole object downloaded now. Without fetch: a new, empty file.
    /// </summary>
    private LocalObject? Acquire(string path, bool fetch, out int error)
    {
        error = 0;
        lock (_localGate)
        {
            if (_local.TryGetValue(path, out var existing) && !existing.Unlinked)
            {
                existing.Refs++;
                return existing;
            }
        }
        var key = Key(path);
        var file = _cache.FileFor(key);
        string? etag = null;
        if (fetch)
        {
            var head = Call(ct => _store.HeadAsync(key, ct));
            if (head is null)
            {
                error = Errno.ENOENT;
                return null;
            }
            etag = head.ETag;
            if (_cache.ETag(file) != etag)
            {
                var temp = _cache.TempFile();
                try
                {
                    ObjectInfo? got;
                    using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                        got = Call(ct => _store.GetAsync(key, stream, 0, null, ct), head.Size);
                    if (got is null)
                    {
                        error = Errno.ENOENT;
                        return null;
                    }
                    etag = got.ETag.Length > 0 ? got.ETag : etag;
                    _cache.Dirty(file);
                    File.Move(temp, file, overwrite: true);
                    _cache.SetETag(file, etag);
                }
                finally
                {
                    File.Delete(temp);
                }
            }
        }
        else
        {
            _cache.Dirty(file);
            File.WriteAllBytes(file, []);
        }
        lock (_localGate)
        {
            if (_local.TryGetValue(path, out var raced) && !raced.Unlinked)
            {
                raced.Refs++;
                return raced;
            }
            var local = new LocalObject(path, key, file) { BaseETag = etag, Refs = 1 };
            _local[path] = local;
            _cache.Trim(InUse, now: SizeOf(file) > _cache.Limit / 8);
            return local;
        }
    }

    private bool InUse(string file)
    {
        foreach (var local in _local.Values)
            if (local.File == file) return true;
        return false;
    }

    private int OpenCopy(LocalObject local, int flags, out long handle)
    {
        handle = -1;
        var writable = (flags & Libc.O_ACCMODE) != Libc.O_RDONLY;
        var open = (flags & (Libc.O_ACCMODE | Libc.O_APPEND)) | Libc.O_CLOEXEC;
        int fd;
        var bytes = Encoding.UTF8.GetBytes(local.File + "\0");
        fixed (byte* p = bytes)
            fd = Libc.Open(p, open, 0);
        if (fd < 0)
        {
            var e = Libc.Errno;
            Release(local);
            return e;
        }
        if (writable && (flags & Libc.O_TRUNC) != 0)
        {
            lock (local.Sync)
            {
                if (Libc.Ftruncate(fd, 0) != 0)
                {
                    var e = Libc.Errno;
                    Libc.Close(fd);
                    Release(local);
                    return e;
                }
                MarkDirty(local);
            }
        }
        handle = Interlocked.Increment(ref _nextHandle);
        _open[handle] = new OpenFile(local, fd, writable);
        return 0;
    }

    /// <summary>Caller holds <c>local.Sync</c>. The cached copy stops being a clean copy of any version.</summary>
    private void MarkDirty(LocalObject local)
    {
        if (!local.Dirty) _cache.Dirty(local.File);
        local.Dirty = true;
    }

    private void Release(LocalObject local)
    {
        lock (_localGate)
        {
            if (--local.Refs > 0) return;
            // Closed: a copy with nothing left to upload is just a cache entry now.
            if (!local.Dirty && !local.Pending && _local.TryGetValue(local.Path, out var current) && current == local) _local.TryRemove(local.Path, out _);
            // Removed, or renamed (its copy is named after the old key): the copy serves nobody any more.
            if ((local.Unlinked || local.File != _cache.FileFor(local.Key)) && !local.Pending && !local.Dirty) _cache.Remove(local.File);
            // A large file just written is a clean copy now: the cache goes back under its limit at once.
            _cache.Trim(InUse, now: SizeOf(local.File) > _cache.Limit / 8);
        }
    }

    public int Read(long handle, Span<byte> buffer, long offset, out int count)
    {
        count = 0;
        if (_ranged.TryGetValue(handle, out var ranged)) return ReadRanged(ranged, buffer, offset, out count);
        if (!_open.TryGetValue(handle, out var open)) return Errno.EBADF;
        fixed (byte* p = buffer)
        {
            var n = Libc.Pread(open.Fd, p, (nuint)buffer.Length, offset);
            if (n < 0) return Libc.Errno;
            count = (int)n;
        }
        return 0;
    }

    public int Write(long handle, ReadOnlySpan<byte> data, long offset, out int count)
    {
        count = 0;
        if (!_open.TryGetValue(handle, out var open)) return Errno.EBADF;
        lock (open.Object.Sync)
        {
            MarkDirty(open.Object);
            fixed (byte* p = data)
            {
                var n = Libc.Pwrite(open.Fd, p, (nuint)data.Length, offset);
                if (n < 0) return Libc.Errno;
                count = (int)n;
            }
        }
        return 0;
    }

    private int Truncate(long handle, long size, out FileStat stat)
    {
        stat = default;
        if (!_open.TryGetValue(handle, out var open)) return Errno.EBADF;
        lock (open.Object.Sync)
        {
            MarkDirty(open.Object);
            if (Libc.Ftruncate(open.Fd, size) != 0) return Libc.Errno;
        }
        return StatHandle(handle, out stat);
    }

    public int Fallocate(long handle, int mode, long offset, long length)
    {
        if (!_open.TryGetValue(handle, out var open)) return Errno.EBADF;
        lock (open.Object.Sync)
        {
            MarkDirty(open.Object);
            return Libc.Fallocate(open.Fd, mode, offset, length) == 0 ? 0 : Libc.Errno;
        }
    }

    public int Seek(long handle, long offset, int whence, out long result)
    {
        result = -1;
        if (_ranged.TryGetValue(handle, out var ranged))
        {
            // SEEK_DATA and SEEK_HOLE: an object has no holes.
            const int SeekData = 3, SeekHole = 4;
            if (whence is not (SeekData or SeekHole)) return Errno.EINVAL;
            if (offset < 0 || offset >= ranged.Version.Size) return Errno.ENXIO;
            result = whence == SeekData ? offset : ranged.Version.Size;
            return 0;
        }
        if (!_open.TryGetValue(handle, out var open)) return Errno.EBADF;
        result = Libc.Lseek(open.Fd, offset, whence);
        return result < 0 ? Libc.Errno : 0;
    }

    public int CopyRange(long input, long inputOffset, long output, long outputOffset, long length, out long copied)
    {
        copied = 0;
        if (_ranged.ContainsKey(input)) return Errno.EOPNOTSUPP; // the kernel copies by reading and writing instead
        if (!_open.TryGetValue(input, out var from) || !_open.TryGetValue(output, out var to)) return Errno.EBADF;
        lock (to.Object.Sync)
        {
            MarkDirty(to.Object);
            var n = Libc.CopyFileRange(from.Fd, &inputOffset, to.Fd, &outputOffset, (nuint)length, 0);
            copied = Math.Max(0, n);
            return n < 0 ? Libc.Errno : 0;
        }
    }

    /// <summary>Every close(2): what this mount changed goes to the store now, so the close fails if the upload does.</summary>
    public int Flush(long handle)
    {
        if (_ranged.ContainsKey(handle)) return 0;
        if (!_open.TryGetValue(handle, out var open)) return Errno.EBADF;
        return open.Writable ? UploadNow(open.Object) : 0;
    }

    public int Fsync(long handle, bool dataOnly)
    {
        if (_ranged.ContainsKey(handle)) return 0;
        if (!_open.TryGetValue(handle, out var open)) return Errno.EBADF;
        if (Libc.Fsync(open.Fd) != 0) return Libc.Errno;
        return UploadNow(open.Object);
    }

    public int Close(long handle)
    {
        if (_ranged.TryRemove(handle, out _)) return 0;
        if (!_open.TryRemove(handle, out var open)) return Errno.EBADF;
        Libc.Close(open.Fd);
        // Written without a flush (the kernel flushes before release; this is for a close it did not flush).
        if (open.Writable && open.Object.Dirty && !open.Object.Conflicted) UploadNow(open.Object);
        Release(open.Object);
        return 0;
    }

    /// <summary>Uploads the copy if it changed; 0, or EIO (store away: journaled and retried; or a conflict: saved beside).</summary>
    private int UploadNow(LocalObject local)
    {
        lock (local.Sync)
        {
            if (local.Conflicted) return Errno.EIO;
            if (local.Unlinked || (!local.Dirty && !local.Pending)) return 0;
            var entry = new UploadJournal.Entry(local.Key, local.Path, local.BaseETag, local.File);
            try
            {
                _journal.Add(entry);
                local.Dirty = false;
                local.Pending = true;
                var result = Upload(entry);
                if (result.Conflict)
                {
                    local.Conflicted = true;
                    local.Pending = false;
                    return Errno.EIO;
                }
                local.BaseETag = result.ETag;
                local.Pending = false;
                return 0;
            }
            catch (Exception e) when (e is ObjectStoreException or IOException or UnauthorizedAccessException)
            {
                var error = Fail(e, "upload " + local.Path);
                _options.Notice?.Invoke(local.Path, error,
                    $"upload failed ({e.Message}); the file is kept in the host's cache and uploaded when the store answers again");
                return error;
            }
        }
    }

    private readonly record struct UploadResult(string? ETag, bool Conflict);

    private static long SizeOf(string file) => new FileInfo(file) is { Exists: true } info ? info.Length : 0;

    /// <summary>
    /// One journaled upload, conditional on the version it was made from: when the store holds another version (or, for a
    /// new file, any object), the copy is saved beside it as <c>NAME.conflict-TIME-ID</c> and the other writer's object is
    /// left as it is. Removes the journal entry when done. Throws when the store cannot be reached.
    /// </summary>
    private UploadResult Upload(UploadJournal.Entry entry)
    {
        var current = Call(ct => _store.HeadAsync(entry.Key, ct));
        var conflict = entry.BaseETag is null ? current is not null : current is not null && current.ETag != entry.BaseETag;
        if (!conflict)
        {
            var condition = current is null ? WriteCondition.Absent : WriteCondition.Matches(current.ETag);
            try
            {
                var put = Call(ct => _store.PutFileAsync(entry.Key, entry.File, condition, ct), SizeOf(entry.File));
                _kinds[entry.Key] = (put.ETag, false);
                _cache.SetETag(entry.File, put.ETag);
                _journal.Remove(entry.Key);
                Forget(entry.Path);
                return new UploadResult(put.ETag, false);
            }
            catch (ObjectConflictException)
            {
                // Someone wrote between the check and the write: the store refused it; fall through to save beside.
            }
        }
        var beside = $"{entry.Key}.conflict-{DateTime.UtcNow:yyyyMMddTHHmmssZ}-{Guid.NewGuid().ToString("N")[..6]}";
        Call(ct => _store.PutFileAsync(beside, entry.File, WriteCondition.Absent, ct), SizeOf(entry.File));
        _cache.Remove(entry.File);
        _journal.Remove(entry.Key);
        Forget(entry.Path);
        var name = beside[_prefix.Length..];
        _options.Log?.Invoke($"object store: {entry.Path} changed in the store since this copy was made; kept the store's version, saved this copy as {name}");
        _options.Notice?.Invoke(entry.Path, Errno.EIO,
            $"conflict: {entry.Path} was changed by another writer; the object is kept as they left it and this copy was saved as {name}");
        return new UploadResult(null, true);
    }

    /// <summary>Uploads what the journal holds and no open file is using (timer; first run at start, for a previous daemon's).</summary>
    private void RetryPending()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _retrying, 1) != 0) return;
        try
        {
            RetryJournal();
        }
        catch (Exception e)
        {
            // A background retry must never take the daemon down; the next one tries again.
            _options.Log?.Invoke($"object store: retrying pending uploads failed: {e.Message}");
        }
        finally
        {
            Volatile.Write(ref _retrying, 0);
        }
    }

    private int _retrying;

    private void RetryJournal()
    {
        IReadOnlyList<UploadJournal.Entry> entries;
        try
        {
            entries = _journal.All();
        }
        catch (IOException)
        {
            return;
        }
        foreach (var entry in entries)
        {
            if (Volatile.Read(ref _disposed) != 0) return;
            if (_local.TryGetValue(entry.Path, out var local) && local.Refs > 0) continue;
            // Read a moment ago, the entry may have been uploaded since by the close that wrote it: that close removes the
            // entry before it lets go of its copy, so with no copy left and no entry left there is nothing to upload (the
            // entry, made for a new file, would otherwise find the file in the store and save a needless conflict copy).
            if (local is null && !_journal.Contains(entry.Key)) continue;
            if (!File.Exists(entry.File))
            {
                _journal.Remove(entry.Key);
                continue;
            }
            try
            {
                if (local is not null)
                {
                    UploadNow(local);
                    Release(local, closed: true);
                }
                else
                {
                    Upload(entry);
                    _options.Log?.Invoke($"object store: uploaded {entry.Path}, left pending by an earlier run");
                }
            }
            catch (Exception e) when (e is ObjectStoreException or IOException)
            {
                _options.Log?.Invoke($"object store: {entry.Path} still pending: {e.Message}");
            }
        }
    }

    /// <summary>A copy nobody has open, uploaded by the retry: it becomes a plain cache entry.</summary>
    private void Release(LocalObject local, bool closed)
    {
        lock (_localGate)
            if (closed && local.Refs == 0 && !local.Pending && !local.Dirty && _local.TryGetValue(local.Path, out var current) && current == local)
                _local.TryRemove(local.Path, out _);
    }

    /// <summary>Before an unlink: the local copy stops being uploaded. True when there was one not yet in the store.</summary>
    private bool DropLocal(string path)
    {
        lock (_localGate)
        {
            if (!_local.TryRemove(path, out var local)) return false;
            lock (local.Sync)
            {
                var notInStore = local.BaseETag is null;
                local.Unlinked = true;
                local.Pending = false;
                local.Dirty = false;
                _journal.Remove(local.Key);
                if (local.Refs == 0) _cache.Remove(local.File);
                return notInStore;
            }
        }
    }

    /// <summary>After a rename: an open copy follows its object to the new name.</summary>
    private void MoveLocal(string from, string to, string etag)
    {
        lock (_localGate)
        {
            if (!_local.TryRemove(from, out var local)) return;
            lock (local.Sync)
            {
                local.Path = to;
                local.Key = Key(to);
                local.BaseETag = etag;
                // Its cache file is named after the old key: never a clean copy of the new one.
                _cache.Dirty(local.File);
            }
            _local[to] = local;
        }
    }
}
