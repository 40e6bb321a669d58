namespace Hive.Files.Backends;

/// <summary>Attributes of a file, as a backend reports them (a subset of statx).</summary>
public struct FileStat
{
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public long Atime;
    public long Mtime;
    public long Ctime;
    public uint AtimeNsec;
    public uint MtimeNsec;
    public uint CtimeNsec;
    /// <summary>Type and permission bits (<c>S_IFREG | 0644</c>).</summary>
    public uint Mode;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public uint RdevMajor;
    public uint RdevMinor;
    public uint Blksize;

    public readonly bool IsDirectory => (Mode & 0xF000) == 0x4000;
    public readonly bool IsRegular => (Mode & 0xF000) == 0x8000;
    public readonly bool IsSymlink => (Mode & 0xF000) == 0xA000;
}

/// <summary>Which fields of <see cref="SetAttributes"/> to apply.</summary>
[Flags]
public enum SetAttributesMask : uint
{
    None = 0,
    Mode = 1 << 0,
    Uid = 1 << 1,
    Gid = 1 << 2,
    Size = 1 << 3,
    Atime = 1 << 4,
    Mtime = 1 << 5,
    AtimeNow = 1 << 7,
    MtimeNow = 1 << 8,
}

/// <summary>A SETATTR request: chmod, chown, truncate, utimens.</summary>
public struct SetAttributes
{
    public SetAttributesMask Valid;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public long Size;
    public long Atime;
    public uint AtimeNsec;
    public long Mtime;
    public uint MtimeNsec;
}

/// <summary>File system totals for statfs.</summary>
public struct FsStats
{
    public ulong Blocks;
    public ulong Bfree;
    public ulong Bavail;
    public ulong Files;
    public ulong Ffree;
    public uint Bsize;
    public uint Frsize;
    public uint NameMax;
}

/// <summary>Receives directory entries; return false to stop (the reply is full).</summary>
public interface IDirectoryVisitor
{
    /// <param name="name">The entry name (no '/').</param>
    /// <param name="ino">The backend's inode number.</param>
    /// <param name="type">The DT_* type (0 when unknown).</param>
    /// <param name="nextOffset">The cookie that continues the listing after this entry.</param>
    bool Entry(ReadOnlySpan<byte> name, ulong ino, uint type, long nextOffset);
}

/// <summary>
/// Where the files of a mount live. Paths are UTF-8, relative to the backend's root, without a leading '/'
/// (the root itself is the empty path); the mediating layer has resolved every '.' and '..' and checked the ACL
/// before calling. Every method returns 0 or a positive errno and never throws for an I/O failure. A backend
/// never follows a symbolic link of its own accord and never reaches outside its root. Handles are opaque.
/// </summary>
public interface IFsBackend : IDisposable
{
    /// <summary>A short name for diagnostics (<c>local:/var/lib/hive/volumes/x</c>).</summary>
    string Description { get; }

    /// <summary>Attributes without following a final symlink.</summary>
    int Stat(ReadOnlySpan<byte> path, out FileStat stat);

    /// <summary>Attributes of an entry of an open directory (READDIRPLUS), without following a symlink.</summary>
    int StatAt(long directory, ReadOnlySpan<byte> name, out FileStat stat);

    int StatHandle(long handle, out FileStat stat);
    int ReadLink(ReadOnlySpan<byte> path, Span<byte> target, out int length);

    /// <summary>Opens an existing regular file with open(2) flags (access mode, O_TRUNC, O_APPEND, ...).</summary>
    int Open(ReadOnlySpan<byte> path, int flags, out long handle);

    /// <summary>Creates and opens a file owned by <paramref name="uid"/>/<paramref name="gid"/>.</summary>
    int Create(ReadOnlySpan<byte> path, int flags, uint mode, uint uid, uint gid, out long handle, out FileStat stat);

    int Mknod(ReadOnlySpan<byte> path, uint mode, uint uid, uint gid, out FileStat stat);
    int Mkdir(ReadOnlySpan<byte> path, uint mode, uint uid, uint gid, out FileStat stat);
    int Symlink(ReadOnlySpan<byte> target, ReadOnlySpan<byte> path, uint uid, uint gid, out FileStat stat);
    int Link(ReadOnlySpan<byte> existing, ReadOnlySpan<byte> path, out FileStat stat);
    int Unlink(ReadOnlySpan<byte> path);
    int Rmdir(ReadOnlySpan<byte> path);

    /// <summary>rename(2) with RENAME_NOREPLACE / RENAME_EXCHANGE flags.</summary>
    int Rename(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, uint flags);

    /// <summary>chmod/chown/truncate/utimens; <paramref name="handle"/> is an open handle of the file or -1.</summary>
    int SetAttributes(ReadOnlySpan<byte> path, long handle, in SetAttributes request, out FileStat stat);

    int Read(long handle, Span<byte> buffer, long offset, out int count);
    int Write(long handle, ReadOnlySpan<byte> data, long offset, out int count);
    int Flush(long handle);

    /// <summary>
    /// False when <see cref="Flush"/> never has anything to do (a local file): the kernel is then told not to send
    /// FLUSH on every close (FOPEN_NOFLUSH), which saves a round trip per close.
    /// </summary>
    bool NeedsFlush { get; }
    int Fsync(long handle, bool dataOnly);
    int Close(long handle);
    int Fallocate(long handle, int mode, long offset, long length);
    int Seek(long handle, long offset, int whence, out long result);
    int CopyRange(long input, long inputOffset, long output, long outputOffset, long length, out long copied);

    /// <summary>A file descriptor the kernel may use directly for this open file (FUSE passthrough), or -1.</summary>
    int PassthroughFd(long handle);

    int OpenDirectory(ReadOnlySpan<byte> path, out long handle);

    /// <summary>
    /// True when a directory's mtime changes whenever its entries do (a local file system): the kernel may then keep a
    /// listing (FOPEN_CACHE_DIR) and read it again only once the mtime differs or the daemon drops it. A bucket's
    /// "directories" have no such mtime, so by default listings are read at every open.
    /// </summary>
    bool MtimeTracksListing => false;

    /// <summary>Lists entries from <paramref name="offset"/> (0 = start, else a cookie from an earlier entry) until the visitor stops.</summary>
    int ReadDirectory<TVisitor>(long handle, long offset, ref TVisitor visitor) where TVisitor : IDirectoryVisitor, allows ref struct;

    int CloseDirectory(long handle);
    int StatFs(out FsStats stats);
    int GetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, Span<byte> value, out int size);
    int SetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags);
    int ListXattr(ReadOnlySpan<byte> path, Span<byte> list, out int size);
    int RemoveXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name);
}
