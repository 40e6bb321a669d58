using System.Runtime.InteropServices;
using System.Text;
using Hive.Files.Native;
using Hive.SafePaths;

namespace Hive.Files.Backends;

/// <summary>
/// A host directory (a named volume or an <c>origin</c>). Every path is resolved with openat2(2) relative to a
/// descriptor of the root in <see cref="InRoot.Storage"/> scope (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), and every final component is used with
/// O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so nothing ever resolves outside the root, whatever another writer of the
/// directory (the host, a second sandbox on the same volume) does meanwhile. Symlinks are data: created, read and
/// listed, never followed here; the kernel resolves them inside the sandbox. Handles are file descriptors.
/// </summary>
public sealed unsafe class LocalBackend : IFsBackend
{
    private const int MaxPath = 4096;
    private const Resolve Scope = InRoot.Storage;
    private readonly int _root;
    private int _disposed;

    [ThreadStatic] private static byte[]? t_dirents;

    /// <summary>This process's umask, which narrows the mode of everything it creates; read once from /proc.</summary>
    private static readonly uint ProcessUmask = ReadUmask();

    private static uint ReadUmask()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                    return System.Convert.ToUInt32(line[6..].Trim(), 8);
        }
        catch (IOException)
        {
        }
        return 0xFFF; // unknown: always set the mode explicitly
    }

    /// <summary>True when creating with <paramref name="mode"/> leaves a different mode than asked for.</summary>
    private static bool UmaskNarrows(uint mode) => (mode & ProcessUmask & 0x1FF) != 0 || ProcessUmask == 0xFFF;

    /// <summary>Opens <paramref name="root"/>, which must be an existing directory (not a symlink).</summary>
    public LocalBackend(string root)
    {
        Root = Path.GetFullPath(root);
        var bytes = Encoding.UTF8.GetBytes(Root + "\0");
        fixed (byte* p = bytes)
            _root = Libc.Open(p, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (_root < 0) throw new IOException($"cannot open backend root {Root}: {Errno.Name(Libc.Errno)}");
    }

    public string Root { get; }
    public string Description => "local:" + Root;

    public int Stat(ReadOnlySpan<byte> path, out FileStat stat)
    {
        stat = default;
        if (path.IsEmpty) return StatFd(_root, out stat);
        var error = OpenPath(path, Libc.O_PATH | Libc.O_NOFOLLOW, out var fd);
        if (error != 0) return error;
        error = StatFd(fd, out stat);
        Libc.Close(fd);
        return error;
    }

    public int StatAt(long directory, ReadOnlySpan<byte> name, out FileStat stat)
    {
        stat = default;
        Span<byte> z = stackalloc byte[name.Length + 1];
        if (!Terminate(name, z)) return Errno.ENAMETOOLONG;
        Libc.Statx st;
        fixed (byte* p = z)
            if (Libc.StatxCall((int)directory, p, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, &st) != 0) return Libc.Errno;
        stat = Convert(st);
        return 0;
    }

    public int StatHandle(long handle, out FileStat stat) => StatFd((int)handle, out stat);

    public int ReadLink(ReadOnlySpan<byte> path, Span<byte> target, out int length)
    {
        length = 0;
        using var parent = new Parent(this, path, out var error, out var name);
        if (error != 0) return error;
        Span<byte> z = stackalloc byte[name.Length + 1];
        Terminate(name, z);
        fixed (byte* p = z)
        fixed (byte* t = target)
        {
            var n = Libc.ReadlinkAt(parent.Fd, p, t, (nuint)target.Length);
            if (n < 0) return Libc.Errno;
            length = (int)n;
        }
        return 0;
    }

    public int Open(ReadOnlySpan<byte> path, int flags, out long handle)
    {
        handle = -1;
        var error = OpenPath(path, flags & ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_DIRECTORY | Libc.O_PATH | Libc.O_TMPFILE) | Libc.O_NOFOLLOW, out var fd);
        if (error != 0) return error;
        handle = fd;
        return 0;
    }

    public int Create(ReadOnlySpan<byte> path, int flags, uint mode, uint uid, uint gid, out long handle, out FileStat stat)
    {
        handle = -1;
        stat = default;
        using var parent = new Parent(this, path, out var error, out var name);
        if (error != 0) return error;
        Span<byte> z = stackalloc byte[name.Length + 1];
        Terminate(name, z);
        var open = (flags & ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_DIRECTORY | Libc.O_PATH | Libc.O_TMPFILE | Libc.O_NOCTTY)) | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
        int fd;
        var created = true;
        fixed (byte* p = z)
        {
            fd = Libc.OpenAt(parent.Fd, p, open | Libc.O_CREAT | Libc.O_EXCL, mode & 0xFFF);
            if (fd < 0 && Libc.Errno == Errno.EEXIST && (flags & Libc.O_EXCL) == 0)
            {
                // Someone created it between the kernel's lookup and now: open the existing file, as open(2) would.
                created = false;
                fd = Libc.OpenAt(parent.Fd, p, open, 0);
            }
        }
        if (fd < 0) return Libc.Errno;
        if (created)
        {
            var groupKept = ParentIsSetgid(parent.Fd);
            // The daemon's umask must not narrow what the caller asked for (the kernel applied the caller's umask).
            if (UmaskNarrows(mode) || (mode & 0xE00) != 0) Libc.Fchmod(fd, mode & 0xFFF);
            if (Libc.Fchown(fd, uid, groupKept ? uint.MaxValue : gid) != 0)
            {
                var e = Libc.Errno;
                Libc.Close(fd);
                return e;
            }
        }
        error = StatFd(fd, out stat);
        if (error != 0)
        {
            Libc.Close(fd);
            return error;
        }
        handle = fd;
        return 0;
    }

    public int Mknod(ReadOnlySpan<byte> path, uint mode, uint uid, uint gid, out FileStat stat)
    {
        stat = default;
        using var parent = new Parent(this, path, out var error, out var name);
        if (error != 0) return error;
        Span<byte> z = stackalloc byte[name.Length + 1];
        Terminate(name, z);
        fixed (byte* p = z)
        {
            if (Libc.MknodAt(parent.Fd, p, mode, 0) != 0) return Libc.Errno;
            return Finish(parent.Fd, p, mode & 0xFFF, uid, gid, chmod: (mode & Libc.S_IFMT) == Libc.S_IFREG, out stat);
        }
    }

    public int Mkdir(ReadOnlySpan<byte> path, uint mode, uint uid, uint gid, out FileStat stat)
    {
        stat = default;
        using var parent = new Parent(this, path, out var error, out var name);
        if (error != 0) return error;
        Span<byte> z = stackalloc byte[name.Length + 1];
        Terminate(name, z);
        fixed (byte* p = z)
        {
            if (Libc.MkdirAt(parent.Fd, p, mode & 0xFFF) != 0) return Libc.Errno;
            var setgid = ParentIsSetgid(parent.Fd);
            return Finish(parent.Fd, p, (mode & 0xFFF) | (setgid ? Libc.S_ISGID : 0), uid, gid, chmod: true, out stat);
        }
    }

    public int Symlink(ReadOnlySpan<byte> target, ReadOnlySpan<byte> path, uint uid, uint gid, out FileStat stat)
    {
        stat = default;
        using var parent = new Parent(this, path, out var error, out var name);
        if (error != 0) return error;
        Span<byte> z = stackalloc byte[name.Length + 1];
        Terminate(name, z);
        Span<byte> t = stackalloc byte[target.Length + 1];
        if (!Terminate(target, t)) return Errno.ENAMETOOLONG;
        fixed (byte* p = z)
        fixed (byte* tp = t)
        {
            if (Libc.SymlinkAt(tp, parent.Fd, p) != 0) return Libc.Errno;
            return Finish(parent.Fd, p, 0, uid, gid, chmod: false, out stat);
        }
    }

    public int Link(ReadOnlySpan<byte> existing, ReadOnlySpan<byte> path, out FileStat stat)
    {
        stat = default;
        using var from = new Parent(this, existing, out var error, out var fromName);
        if (error != 0) return error;
        using var to = new Parent(this, path, out error, out var toName);
        if (error != 0) return error;
        Span<byte> a = stackalloc byte[fromName.Length + 1];
        Span<byte> b = stackalloc byte[toName.Length + 1];
        Terminate(fromName, a);
        Terminate(toName, b);
        fixed (byte* pa = a)
        fixed (byte* pb = b)
        {
            if (Libc.LinkAt(from.Fd, pa, to.Fd, pb, 0) != 0) return Libc.Errno;
            return StatAt(to.Fd, toName, out stat);
        }
    }

    public int Unlink(ReadOnlySpan<byte> path) => Remove(path, 0);

    public int Rmdir(ReadOnlySpan<byte> path) => Remove(path, Libc.AT_REMOVEDIR);

    private int Remove(ReadOnlySpan<byte> path, int flags)
    {
        using var parent = new Parent(this, path, out var error, out var name);
        if (error != 0) return error;
        Span<byte> z = stackalloc byte[name.Length + 1];
        Terminate(name, z);
        fixed (byte* p = z)
            return Libc.UnlinkAt(parent.Fd, p, flags) == 0 ? 0 : Libc.Errno;
    }

    public int Rename(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, uint flags)
    {
        using var source = new Parent(this, from, out var error, out var fromName);
        if (error != 0) return error;
        using var target = new Parent(this, to, out error, out var toName);
        if (error != 0) return error;
        Span<byte> a = stackalloc byte[fromName.Length + 1];
        Span<byte> b = stackalloc byte[toName.Length + 1];
        Terminate(fromName, a);
        Terminate(toName, b);
        fixed (byte* pa = a)
        fixed (byte* pb = b)
            return Libc.RenameAt2(source.Fd, pa, target.Fd, pb, flags) == 0 ? 0 : Libc.Errno;
    }

    public int SetAttributes(ReadOnlySpan<byte> path, long handle, in SetAttributes request, out FileStat stat)
    {
        stat = default;
        var fd = (int)handle;
        var owned = false;
        try
        {
            if (fd < 0)
            {
                // Pin the inode: everything below works on this very file, whatever happens to the name.
                var error = path.IsEmpty ? Dup(out fd) : OpenPath(path, Libc.O_PATH | Libc.O_NOFOLLOW, out fd);
                if (error != 0) return error;
                owned = true;
            }
            var e = StatFd(fd, out var current);
            if (e != 0) return e;
            var valid = request.Valid;
            if ((valid & (SetAttributesMask.Uid | SetAttributesMask.Gid)) != 0)
            {
                var uid = (valid & SetAttributesMask.Uid) != 0 ? request.Uid : uint.MaxValue;
                var gid = (valid & SetAttributesMask.Gid) != 0 ? request.Gid : uint.MaxValue;
                if (Libc.FchownAt(fd, "\0"u8.AsPointer(), uid, gid, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW) != 0) return Libc.Errno;
            }
            if ((valid & SetAttributesMask.Mode) != 0)
            {
                if (current.IsSymlink) return Errno.EOPNOTSUPP;
                e = ViaProc(fd, &ChmodCall, request.Mode & 0xFFF);
                if (e != 0) return e;
            }
            if ((valid & SetAttributesMask.Size) != 0)
            {
                if (!current.IsRegular) return current.IsDirectory ? Errno.EISDIR : Errno.EINVAL;
                if (owned)
                {
                    e = ReopenForWrite(fd, out var writable);
                    if (e != 0) return e;
                    var r = Libc.Ftruncate(writable, request.Size);
                    e = r == 0 ? 0 : Libc.Errno;
                    Libc.Close(writable);
                    if (e != 0) return e;
                }
                else if (Libc.Ftruncate(fd, request.Size) != 0) return Libc.Errno;
            }
            if ((valid & (SetAttributesMask.Atime | SetAttributesMask.Mtime | SetAttributesMask.AtimeNow | SetAttributesMask.MtimeNow)) != 0)
            {
                var times = stackalloc Libc.Timespec[2];
                times[0] = Time(valid, SetAttributesMask.Atime, SetAttributesMask.AtimeNow, request.Atime, request.AtimeNsec);
                times[1] = Time(valid, SetAttributesMask.Mtime, SetAttributesMask.MtimeNow, request.Mtime, request.MtimeNsec);
                if (current.IsSymlink)
                {
                    // utimensat on an O_PATH descriptor of a symlink needs its parent and name; times of symlinks are rarely set.
                    return Errno.EOPNOTSUPP;
                }
                e = ViaProcTimes(fd, times);
                if (e != 0) return e;
            }
            return StatFd(fd, out stat);
        }
        finally
        {
            if (owned) Libc.Close(fd);
        }
    }

    private static Libc.Timespec Time(SetAttributesMask valid, SetAttributesMask set, SetAttributesMask now, long seconds, uint nanoseconds)
    {
        if ((valid & now) != 0) return new Libc.Timespec { Sec = 0, Nsec = Libc.UTIME_NOW };
        if ((valid & set) != 0) return new Libc.Timespec { Sec = seconds, Nsec = nanoseconds };
        return new Libc.Timespec { Sec = 0, Nsec = Libc.UTIME_OMIT };
    }

    public int Read(long handle, Span<byte> buffer, long offset, out int count)
    {
        fixed (byte* p = buffer)
        {
            var n = Libc.Pread((int)handle, p, (nuint)buffer.Length, offset);
            if (n < 0)
            {
                count = 0;
                return Libc.Errno;
            }
            count = (int)n;
            return 0;
        }
    }

    public int Write(long handle, ReadOnlySpan<byte> data, long offset, out int count)
    {
        fixed (byte* p = data)
        {
            var n = Libc.Pwrite((int)handle, p, (nuint)data.Length, offset);
            if (n < 0)
            {
                count = 0;
                return Libc.Errno;
            }
            count = (int)n;
            return 0;
        }
    }

    public int Flush(long handle) => 0;

    public bool NeedsFlush => false;

    public bool MtimeTracksListing => true;

    public int Fsync(long handle, bool dataOnly) =>
        (dataOnly ? Libc.Fdatasync((int)handle) : Libc.Fsync((int)handle)) == 0 ? 0 : Libc.Errno;

    public int Close(long handle) => Libc.Close((int)handle) == 0 ? 0 : Libc.Errno;

    public int Fallocate(long handle, int mode, long offset, long length) =>
        Libc.Fallocate((int)handle, mode, offset, length) == 0 ? 0 : Libc.Errno;

    public int Seek(long handle, long offset, int whence, out long result)
    {
        result = Libc.Lseek((int)handle, offset, whence);
        return result < 0 ? Libc.Errno : 0;
    }

    public int CopyRange(long input, long inputOffset, long output, long outputOffset, long length, out long copied)
    {
        var n = Libc.CopyFileRange((int)input, &inputOffset, (int)output, &outputOffset, (nuint)length, 0);
        copied = Math.Max(0, n);
        return n < 0 ? Libc.Errno : 0;
    }

    public int PassthroughFd(long handle) => (int)handle;

    public int OpenDirectory(ReadOnlySpan<byte> path, out long handle)
    {
        handle = -1;
        int fd;
        if (path.IsEmpty)
        {
            fixed (byte* dot = ".\0"u8)
                fd = Libc.OpenAt(_root, dot, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            if (fd < 0) return Libc.Errno;
        }
        else
        {
            var error = OpenPath(path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW, out fd);
            if (error != 0) return error;
        }
        handle = fd;
        return 0;
    }

    public int ReadDirectory<TVisitor>(long handle, long offset, ref TVisitor visitor) where TVisitor : IDirectoryVisitor, allows ref struct
    {
        var fd = (int)handle;
        if (Libc.Lseek(fd, offset, Libc.SEEK_SET) < 0) return Libc.Errno;
        var buffer = t_dirents ??= GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);
        fixed (byte* b = buffer)
        {
            while (true)
            {
                var n = Libc.Getdents64(fd, b, (nuint)buffer.Length);
                if (n < 0) return Libc.Errno;
                if (n == 0) return 0;
                var at = 0;
                while (at < n)
                {
                    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                    var ino = *(ulong*)(b + at);
                    var next = *(long*)(b + at + 8);
                    var reclen = *(ushort*)(b + at + 16);
                    var type = b[at + 18];
                    var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(b + at + 19);
                    if (!visitor.Entry(name, ino, type, next)) return 0;
                    at += reclen;
                }
            }
        }
    }

    public int CloseDirectory(long handle) => Libc.Close((int)handle) == 0 ? 0 : Libc.Errno;

    public int StatFs(out FsStats stats)
    {
        stats = default;
        Libc.Statvfs st;
        if (Libc.Fstatvfs(_root, &st) != 0) return Libc.Errno;
        stats = new FsStats
        {
            Blocks = st.Blocks, Bfree = st.Bfree, Bavail = st.Bavail, Files = st.Files, Ffree = st.Ffree,
            Bsize = (uint)st.Bsize, Frsize = (uint)st.Frsize, NameMax = (uint)st.Namemax,
        };
        return 0;
    }

    public int GetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, Span<byte> value, out int size)
    {
        size = 0;
        Span<byte> n = stackalloc byte[name.Length + 1];
        if (!Terminate(name, n)) return Errno.ERANGE;
        var error = PinForXattr(path, out var fd, out var symlink);
        if (error != 0) return error;
        try
        {
            if (symlink) return Errno.ENODATA;
            Span<byte> proc = stackalloc byte[32];
            ProcPath(fd, proc);
            fixed (byte* pp = proc)
            fixed (byte* np = n)
            fixed (byte* vp = value)
            {
                var r = Libc.Getxattr(pp, np, value.IsEmpty ? null : vp, (nuint)value.Length);
                if (r < 0) return Libc.Errno;
                size = (int)r;
                return 0;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public int SetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        Span<byte> n = stackalloc byte[name.Length + 1];
        if (!Terminate(name, n)) return Errno.ERANGE;
        var error = PinForXattr(path, out var fd, out var symlink);
        if (error != 0) return error;
        try
        {
            if (symlink) return Errno.EPERM;
            Span<byte> proc = stackalloc byte[32];
            ProcPath(fd, proc);
            fixed (byte* pp = proc)
            fixed (byte* np = n)
            fixed (byte* vp = value)
                return Libc.Setxattr(pp, np, vp, (nuint)value.Length, flags) == 0 ? 0 : Libc.Errno;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public int ListXattr(ReadOnlySpan<byte> path, Span<byte> list, out int size)
    {
        size = 0;
        var error = PinForXattr(path, out var fd, out var symlink);
        if (error != 0) return error;
        try
        {
            if (symlink) return 0;
            Span<byte> proc = stackalloc byte[32];
            ProcPath(fd, proc);
            fixed (byte* pp = proc)
            fixed (byte* lp = list)
            {
                var r = Libc.Listxattr(pp, list.IsEmpty ? null : lp, (nuint)list.Length);
                if (r < 0) return Libc.Errno;
                size = (int)r;
                return 0;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public int RemoveXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name)
    {
        Span<byte> n = stackalloc byte[name.Length + 1];
        if (!Terminate(name, n)) return Errno.ERANGE;
        var error = PinForXattr(path, out var fd, out var symlink);
        if (error != 0) return error;
        try
        {
            if (symlink) return Errno.EPERM;
            Span<byte> proc = stackalloc byte[32];
            ProcPath(fd, proc);
            fixed (byte* pp = proc)
            fixed (byte* np = n)
                return Libc.Removexattr(pp, np) == 0 ? 0 : Libc.Errno;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Libc.Close(_root);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    /// <summary>openat2 beneath the root, no symlinks anywhere on the way. The caller closes <paramref name="fd"/>.</summary>
    private int OpenPath(ReadOnlySpan<byte> path, int flags, out int fd)
    {
        fd = -1;
        Span<byte> z = stackalloc byte[path.Length + 1];
        if (!Terminate(path, z)) return Errno.ENAMETOOLONG;
        fixed (byte* p = z)
            fd = Openat2.Open(_root, p, flags | Libc.O_CLOEXEC, 0, Scope);
        return fd < 0 ? Libc.Errno : 0;
    }

    private int Dup(out int fd)
    {
        fixed (byte* dot = ".\0"u8)
            fd = Libc.OpenAt(_root, dot, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        return fd < 0 ? Libc.Errno : 0;
    }

    private static int StatFd(int fd, out FileStat stat)
    {
        Libc.Statx st;
        if (Libc.StatxCall(fd, "\0"u8.AsPointer(), Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, &st) != 0)
        {
            stat = default;
            return Libc.Errno;
        }
        stat = Convert(st);
        return 0;
    }

    private static FileStat Convert(in Libc.Statx st) => new()
    {
        Ino = st.Ino, Size = st.Size, Blocks = st.Blocks,
        Atime = st.Atime.Sec, AtimeNsec = st.Atime.Nsec,
        Mtime = st.Mtime.Sec, MtimeNsec = st.Mtime.Nsec,
        Ctime = st.Ctime.Sec, CtimeNsec = st.Ctime.Nsec,
        Mode = st.Mode, Nlink = st.Nlink, Uid = st.Uid, Gid = st.Gid,
        RdevMajor = st.RdevMajor, RdevMinor = st.RdevMinor, Blksize = st.Blksize,
    };

    private static bool ParentIsSetgid(int parentFd) =>
        StatFd(parentFd, out var st) == 0 && (st.Mode & Libc.S_ISGID) != 0;

    /// <summary>After creating <paramref name="name"/> in a directory: set its mode (undoing the daemon's umask) and owner.</summary>
    private static int Finish(int parentFd, byte* name, uint mode, uint uid, uint gid, bool chmod, out FileStat stat)
    {
        stat = default;
        var groupKept = ParentIsSetgid(parentFd);
        if (Libc.FchownAt(parentFd, name, uid, groupKept ? uint.MaxValue : gid, Libc.AT_SYMLINK_NOFOLLOW) != 0) return Libc.Errno;
        var fd = Openat2.Open(parentFd, name, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, Scope);
        if (fd < 0) return Libc.Errno;
        try
        {
            if (chmod && (UmaskNarrows(mode) || (mode & 0xE00) != 0))
            {
                var e = ViaProc(fd, &ChmodCall, mode);
                if (e != 0) return e;
            }
            return StatFd(fd, out stat);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private int PinForXattr(ReadOnlySpan<byte> path, out int fd, out bool symlink)
    {
        symlink = false;
        var error = path.IsEmpty ? Dup(out fd) : OpenPath(path, Libc.O_PATH | Libc.O_NOFOLLOW, out fd);
        if (error != 0) return error;
        error = StatFd(fd, out var st);
        if (error != 0)
        {
            Libc.Close(fd);
            return error;
        }
        symlink = st.IsSymlink;
        if (!st.IsRegular && !st.IsDirectory && !symlink)
        {
            // Devices, FIFOs, sockets: nothing here opens them, not even through /proc.
            Libc.Close(fd);
            return Errno.EOPNOTSUPP;
        }
        return 0;
    }

    /// <summary>Writes "/proc/self/fd/N\0": the magic link reaches exactly the pinned file, no name is resolved again.</summary>
    private static void ProcPath(int fd, Span<byte> buffer)
    {
        "/proc/self/fd/"u8.CopyTo(buffer);
        fd.TryFormat(buffer[14..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        buffer[14 + written] = 0;
    }

    private static int ChmodCall(byte* path, uint mode) => Libc.Chmod(path, mode) == 0 ? 0 : Libc.Errno;

    private static int ViaProc(int fd, delegate*<byte*, uint, int> call, uint argument)
    {
        Span<byte> proc = stackalloc byte[32];
        ProcPath(fd, proc);
        fixed (byte* p = proc)
            return call(p, argument);
    }

    private static int ViaProcTimes(int fd, Libc.Timespec* times)
    {
        Span<byte> proc = stackalloc byte[32];
        ProcPath(fd, proc);
        fixed (byte* p = proc)
            return Libc.UtimensAt(Libc.AT_FDCWD, p, times, 0) == 0 ? 0 : Libc.Errno;
    }

    private static int ReopenForWrite(int pinned, out int fd)
    {
        Span<byte> proc = stackalloc byte[32];
        ProcPath(pinned, proc);
        fixed (byte* p = proc)
            fd = Libc.Open(p, Libc.O_WRONLY | Libc.O_CLOEXEC | Libc.O_NONBLOCK, 0);
        return fd < 0 ? Libc.Errno : 0;
    }

    private static bool Terminate(ReadOnlySpan<byte> text, Span<byte> target)
    {
        if (text.Length >= MaxPath || text.IndexOf((byte)0) >= 0) return false;
        text.CopyTo(target);
        target[text.Length] = 0;
        return true;
    }

    /// <summary>The directory holding the last component of a path, resolved beneath the root; disposing closes it.</summary>
    private readonly ref struct Parent
    {
        public readonly int Fd;
        private readonly bool _owned;

        public Parent(LocalBackend backend, ReadOnlySpan<byte> path, out int error, out ReadOnlySpan<byte> name)
        {
            var slash = path.LastIndexOf((byte)'/');
            name = slash < 0 ? path : path[(slash + 1)..];
            error = 0;
            if (name.IsEmpty || name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
            {
                Fd = -1;
                error = Errno.EINVAL;
                return;
            }
            if (slash < 0)
            {
                Fd = backend._root;
                return;
            }
            error = backend.OpenPath(path[..slash], Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW, out Fd);
            _owned = error == 0;
        }

        public void Dispose()
        {
            if (_owned) Libc.Close(Fd);
        }
    }
}

internal static unsafe class Utf8Literal
{
    /// <summary>A pointer to a u8 literal, which the compiler stores NUL-terminated in read-only data.</summary>
    public static byte* AsPointer(this ReadOnlySpan<byte> literal)
    {
        fixed (byte* p = literal) return p;
    }
}
