using System.Diagnostics;
using Hive.Core.Files;
using Hive.Files.Audit;
using Hive.Files.Backends;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files.Mediation;

/// <summary>An open file: the backend handle, how it was opened, and the reads and writes counted for the audit.</summary>
internal sealed class FileHandle(Node node, long backend, uint flags, byte[] path, uint uid, uint pid)
{
    public Node Node { get; } = node;
    public long Backend { get; } = backend;
    public uint Flags { get; } = flags;
    public byte[] Path { get; } = path;
    public uint Uid { get; } = uid;
    public uint Pid { get; } = pid;
    public bool Writable => (Flags & Libc.O_ACCMODE) != Libc.O_RDONLY;
    public bool Readable => (Flags & Libc.O_ACCMODE) != Libc.O_WRONLY;
    public bool Passthrough { get; set; }
    public long BytesRead;
    public long BytesWritten;
    public long ReadTicks;
    public long WriteTicks;
}

internal sealed partial class MediatingFileSystem
{
    private const uint WriteFlags = Libc.O_WRONLY | Libc.O_RDWR | Libc.O_TRUNC;
    // What reaches the backend's open: access mode and the flags that change what I/O means. O_DIRECT is dropped
    // (the kernel already decided about its page cache); O_CREAT/O_EXCL never come with OPEN.
    private const int BackendOpenFlags = Libc.O_ACCMODE | Libc.O_TRUNC | Libc.O_APPEND | Libc.O_NONBLOCK | Libc.O_DSYNC | Libc.O_SYNC | Libc.O_NOATIME;

    public int Open(in FuseContext c, uint flags, out FuseOpenOut open)
    {
        open = default;
        var start = Stopwatch.GetTimestamp();
        var node = _nodes.Get(c.NodeId);
        if (node is null || node.Detached) return Gone(node);
        var path = node.Path;
        var visibility = Visibility(node);
        var error = visibility == FsVisibility.Hidden ? Errno.ENOENT
            : (flags & WriteFlags) != 0 && visibility != Hive.Core.Files.FsVisibility.Rw ? Errno.EROFS : 0;
        if (error != 0)
        {
            Record(c, path, FsOp.Open, false, start, error, null, _audit is null ? null : OpenMode(flags));
            return error;
        }
        error = _backend.Open(Rel(path), (int)flags & BackendOpenFlags, out var backend);
        if (error != 0)
        {
            Record(c, path, FsOp.Open, true, start, error, null, _audit is null ? null : OpenMode(flags));
            return error;
        }
        var handle = new FileHandle(node, backend, flags, path, c.Uid, c.Pid);
        open = Register(handle);
        Record(c, path, FsOp.Open, true, start, 0, null, _audit is null ? null : Detail(handle));
        return 0;
    }

    public int Create(in FuseContext c, ReadOnlySpan<byte> name, uint flags, uint mode, uint umask, out FuseEntryOut entry, out FuseOpenOut open)
    {
        entry = default;
        open = default;
        var start = Stopwatch.GetTimestamp();
        var parent = _nodes.Get(c.NodeId);
        if (parent is null || parent.Detached) return Gone(parent);
        if (!ValidName(name, out var error)) return error;
        if ((mode & Libc.S_IFMT) != 0 && (mode & Libc.S_IFMT) != Libc.S_IFREG) return Errno.EINVAL;
        var parentPath = parent.Path;
        Span<byte> path = stackalloc byte[parentPath.Length + 1 + name.Length];
        Join(parentPath, name, path);
        error = CreateAccess(path);
        if (error == 0 && Acl.Resolve(parentPath, true, IsRoot(parent)) == Hive.Core.Files.FsVisibility.Hidden) error = Errno.ENOENT;
        if (error != 0)
        {
            Record(c, path, FsOp.Create, false, start, error, null, _audit is null ? null : OpenMode(flags | Libc.O_CREAT));
            return error;
        }
        error = _backend.Create(Rel(path), (int)flags & BackendOpenFlags | (int)(flags & Libc.O_EXCL), mode & 0xFFF, c.Uid, c.Gid, out var backend, out var stat);
        if (error != 0)
        {
            Record(c, path, FsOp.Create, true, start, error, null, _audit is null ? null : OpenMode(flags | Libc.O_CREAT));
            return error;
        }
        var node = _nodes.Remember(parent, name, stat);
        Fill(node, stat, out entry);
        var handle = new FileHandle(node, backend, flags, node.Path, c.Uid, c.Pid);
        open = Register(handle);
        Changed(parent, name);
        Record(c, path, FsOp.Create, true, start, 0, null, _audit is null ? null : Detail(handle));
        return 0;
    }

    private FuseOpenOut Register(FileHandle handle)
    {
        var fh = (ulong)Interlocked.Increment(ref _nextHandle);
        var open = new FuseOpenOut { Fh = fh, OpenFlags = _backend.NeedsFlush ? 0 : FuseConstants.FopenNoflush };
        if (_passthrough && handle.Node.Type == Libc.S_IFREG && TryPassthrough(handle, out var backingId))
        {
            open.OpenFlags |= FuseConstants.FopenPassthrough;
            open.BackingId = backingId;
        }
        _files[fh] = handle;
        return open;
    }

    /// <summary>
    /// The kernel attaches one backing file per inode and refuses a second one while the first is in use, so the
    /// backing id is per node, opened with the node's first passthrough handle and closed with its last.
    /// </summary>
    private bool TryPassthrough(FileHandle handle, out int backingId)
    {
        backingId = 0;
        var fd = _backend.PassthroughFd(handle.Backend);
        if (fd < 0 || _kernel is null) return false;
        var node = handle.Node;
        lock (node)
        {
            if (node.BackingRefs == 0)
            {
                var id = _kernel.OpenBacking(fd);
                if (id <= 0)
                {
                    // Mixing cached and passthrough opens of one inode fails in the kernel; stop using passthrough.
                    _passthrough = false;
                    _options.Log?.Invoke($"fuse: passthrough unavailable ({Errno.Name(-id)}), serving reads and writes from the backend");
                    return false;
                }
                node.BackingId = id;
            }
            node.BackingRefs++;
            backingId = node.BackingId;
        }
        handle.Passthrough = true;
        return true;
    }

    private void ReleaseBacking(FileHandle handle)
    {
        if (!handle.Passthrough) return;
        var node = handle.Node;
        lock (node)
        {
            if (--node.BackingRefs > 0) return;
            var id = node.BackingId;
            node.BackingId = 0;
            node.BackingRefs = 0;
            if (id > 0) _kernel?.CloseBacking(id);
        }
    }

    private static string Detail(FileHandle handle) => handle.Passthrough ? OpenMode(handle.Flags) + ",passthrough" : OpenMode(handle.Flags);

    public int Read(in FuseContext c, ulong fh, long offset, Span<byte> buffer, out int count)
    {
        count = 0;
        if (!_files.TryGetValue(fh, out var handle)) return Errno.EBADF;
        var start = Stopwatch.GetTimestamp();
        var error = _backend.Read(handle.Backend, buffer, offset, out count);
        if (error != 0) return error;
        Interlocked.Add(ref handle.BytesRead, count);
        Interlocked.Add(ref handle.ReadTicks, Stopwatch.GetTimestamp() - start);
        return 0;
    }

    public int Write(in FuseContext c, ulong fh, long offset, ReadOnlySpan<byte> data, out int count)
    {
        count = 0;
        if (!_files.TryGetValue(fh, out var handle)) return Errno.EBADF;
        if (!handle.Writable) return Errno.EBADF;
        var start = Stopwatch.GetTimestamp();
        var error = _backend.Write(handle.Backend, data, offset, out count);
        if (error != 0) return error;
        Interlocked.Add(ref handle.BytesWritten, count);
        Interlocked.Add(ref handle.WriteTicks, Stopwatch.GetTimestamp() - start);
        return 0;
    }

    public int Flush(in FuseContext c, ulong fh) =>
        _files.TryGetValue(fh, out var handle) ? _backend.Flush(handle.Backend) : Errno.EBADF;

    public int Fsync(in FuseContext c, ulong fh, bool dataOnly) =>
        _files.TryGetValue(fh, out var handle) ? _backend.Fsync(handle.Backend, dataOnly) : Errno.EBADF;

    public int Release(in FuseContext c, ulong fh)
    {
        if (!_files.TryRemove(fh, out var handle)) return Errno.EBADF;
        if ((handle.BytesWritten > 0 || (handle.Passthrough && handle.Writable)) && handle.Node.Nlink > 1) InvalidateLinks(handle.Node.Ino, handle.Node, data: true);
        var error = _backend.Close(handle.Backend);
        ReleaseBacking(handle);
        if (_audit is not null)
        {
            var mount = Mount;
            string? path = null;
            if (handle.BytesRead > 0)
            {
                path = System.Text.Encoding.UTF8.GetString(handle.Path);
                _audit.Record(new FsAuditRecord(mount, path, FsOp.Read, true, Ms(handle.ReadTicks), 0, handle.BytesRead, null, handle.Uid, handle.Pid));
            }
            if (handle.BytesWritten > 0)
            {
                path ??= System.Text.Encoding.UTF8.GetString(handle.Path);
                _audit.Record(new FsAuditRecord(mount, path, FsOp.Write, true, Ms(handle.WriteTicks), 0, handle.BytesWritten, null, handle.Uid, handle.Pid));
            }
        }
        return error;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public int Fallocate(in FuseContext c, ulong fh, long offset, long length, int mode)
    {
        if (!_files.TryGetValue(fh, out var handle)) return Errno.EBADF;
        if (!handle.Writable) return Errno.EBADF;
        return _backend.Fallocate(handle.Backend, mode, offset, length);
    }

    public int Lseek(in FuseContext c, ulong fh, long offset, int whence, out long result)
    {
        result = 0;
        return _files.TryGetValue(fh, out var handle) ? _backend.Seek(handle.Backend, offset, whence, out result) : Errno.EBADF;
    }

    public int CopyFileRange(in FuseContext c, ulong fhIn, long offIn, ulong nodeOut, ulong fhOut, long offOut, long length, uint flags, out long copied)
    {
        copied = 0;
        if (!_files.TryGetValue(fhIn, out var input) || !_files.TryGetValue(fhOut, out var output)) return Errno.EBADF;
        if (!input.Readable || !output.Writable) return Errno.EBADF;
        var start = Stopwatch.GetTimestamp();
        var error = _backend.CopyRange(input.Backend, offIn, output.Backend, offOut, length, out copied);
        if (error != 0) return error;
        var ticks = Stopwatch.GetTimestamp() - start;
        Interlocked.Add(ref input.BytesRead, copied);
        Interlocked.Add(ref input.ReadTicks, ticks);
        Interlocked.Add(ref output.BytesWritten, copied);
        Interlocked.Add(ref output.WriteTicks, ticks);
        return 0;
    }
}
