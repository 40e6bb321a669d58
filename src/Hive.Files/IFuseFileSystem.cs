using Hive.Files.Protocol;

namespace Hive.Files;

/// <summary>Who asks: the fields of <c>fuse_in_header</c> a file system needs.</summary>
internal readonly struct FuseContext(ulong unique, ulong nodeId, uint uid, uint gid, uint pid)
{
    public ulong Unique { get; } = unique;
    public ulong NodeId { get; } = nodeId;
    public uint Uid { get; } = uid;
    public uint Gid { get; } = gid;
    public uint Pid { get; } = pid;
}

/// <summary>What the file system may ask of the kernel connection: passthrough backing files and cache invalidation.</summary>
internal interface IFuseKernel
{
    /// <summary>True when INIT negotiated FUSE_PASSTHROUGH.</summary>
    bool PassthroughEnabled { get; }

    /// <summary>Registers <paramref name="fd"/> as a backing file (FUSE_DEV_IOC_BACKING_OPEN): a backing id &gt; 0, or -errno.</summary>
    int OpenBacking(int fd);

    /// <summary>Drops a backing id (FUSE_DEV_IOC_BACKING_CLOSE). The kernel keeps the file while opens use it.</summary>
    void CloseBacking(int backingId);

    /// <summary>FUSE_NOTIFY_INVAL_ENTRY: drop the kernel's dentry for <paramref name="name"/> in <paramref name="parent"/>. 0 or an errno.</summary>
    int NotifyInvalEntry(ulong parent, ReadOnlySpan<byte> name);

    /// <summary>FUSE_NOTIFY_INVAL_INODE: drop cached attributes (and data when <paramref name="data"/>). 0 or an errno.</summary>
    int NotifyInvalInode(ulong nodeId, bool data);
}

/// <summary>
/// Writes directory entries into a READDIR or READDIRPLUS reply. Each add returns false when the entry does not fit;
/// the caller stops there and the kernel asks again from that entry's offset.
/// </summary>
internal ref struct DirectoryBuffer(Span<byte> buffer, bool plus)
{
    private readonly Span<byte> _buffer = buffer;
    private int _used;

    public bool Plus { get; } = plus;
    public int Used => _used;

    public bool Add(ReadOnlySpan<byte> name, ulong ino, uint type, long nextOffset)
    {
        var size = Align8(24 + name.Length);
        if (_used + size > _buffer.Length) return false;
        var target = _buffer.Slice(_used, size);
        var dirent = new FuseDirent { Ino = ino, Off = (ulong)nextOffset, NameLen = (uint)name.Length, Type = type };
        System.Runtime.InteropServices.MemoryMarshal.Write(target, in dirent);
        name.CopyTo(target[24..]);
        target[(24 + name.Length)..].Clear();
        _used += size;
        return true;
    }

    /// <summary>Whether an entry of this name would fit (READDIRPLUS looks an entry up only if it fits).</summary>
    public readonly bool Fits(ReadOnlySpan<byte> name) =>
        _used + (Plus ? Align8(128 + 24 + name.Length) : Align8(24 + name.Length)) <= _buffer.Length;

    public bool AddPlus(in FuseEntryOut entry, ReadOnlySpan<byte> name, ulong ino, uint type, long nextOffset)
    {
        var size = Align8(128 + 24 + name.Length);
        if (_used + size > _buffer.Length) return false;
        var target = _buffer.Slice(_used, size);
        System.Runtime.InteropServices.MemoryMarshal.Write(target, in entry);
        var dirent = new FuseDirent { Ino = ino, Off = (ulong)nextOffset, NameLen = (uint)name.Length, Type = type };
        System.Runtime.InteropServices.MemoryMarshal.Write(target[128..], in dirent);
        name.CopyTo(target[152..]);
        target[(152 + name.Length)..].Clear();
        _used += size;
        return true;
    }

    private static int Align8(int n) => (n + 7) & ~7;
}

/// <summary>
/// The low-level FUSE operations, addressed by node id as the kernel sends them. Every method returns 0 or a
/// positive errno; nothing may throw (the request loop turns an exception into EIO, but that is a bug).
/// </summary>
internal interface IFuseFileSystem
{
    void Init(IFuseKernel kernel);
    void Destroy();

    int Lookup(in FuseContext c, ReadOnlySpan<byte> name, out FuseEntryOut entry);
    void Forget(ulong nodeId, ulong nlookup);
    int Getattr(in FuseContext c, ulong fh, bool hasFh, out FuseAttrOut attr);
    int Setattr(in FuseContext c, in FuseSetattrIn input, out FuseAttrOut attr);
    int Readlink(in FuseContext c, Span<byte> target, out int length);
    int Symlink(in FuseContext c, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, out FuseEntryOut entry);
    int Mknod(in FuseContext c, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, out FuseEntryOut entry);
    int Mkdir(in FuseContext c, ReadOnlySpan<byte> name, uint mode, uint umask, out FuseEntryOut entry);
    int Unlink(in FuseContext c, ReadOnlySpan<byte> name);
    int Rmdir(in FuseContext c, ReadOnlySpan<byte> name);
    int Rename(in FuseContext c, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags);
    int Link(in FuseContext c, ulong oldNodeId, ReadOnlySpan<byte> newName, out FuseEntryOut entry);
    int Open(in FuseContext c, uint flags, out FuseOpenOut open);
    int Create(in FuseContext c, ReadOnlySpan<byte> name, uint flags, uint mode, uint umask, out FuseEntryOut entry, out FuseOpenOut open);
    int Read(in FuseContext c, ulong fh, long offset, Span<byte> buffer, out int count);
    int Write(in FuseContext c, ulong fh, long offset, ReadOnlySpan<byte> data, out int count);
    int Flush(in FuseContext c, ulong fh);
    int Release(in FuseContext c, ulong fh);
    int Fsync(in FuseContext c, ulong fh, bool dataOnly);
    int Opendir(in FuseContext c, uint flags, out FuseOpenOut open);
    int Readdir(in FuseContext c, ulong fh, long offset, ref DirectoryBuffer buffer);
    int Releasedir(in FuseContext c, ulong fh);
    int Statfs(in FuseContext c, out FuseKstatfs stats);
    int Access(in FuseContext c, uint mask);
    int Getxattr(in FuseContext c, ReadOnlySpan<byte> name, Span<byte> value, out int size);
    int Setxattr(in FuseContext c, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags);
    int Listxattr(in FuseContext c, Span<byte> list, out int size);
    int Removexattr(in FuseContext c, ReadOnlySpan<byte> name);
    int Fallocate(in FuseContext c, ulong fh, long offset, long length, int mode);
    int Lseek(in FuseContext c, ulong fh, long offset, int whence, out long result);
    int CopyFileRange(in FuseContext c, ulong fhIn, long offIn, ulong nodeOut, ulong fhOut, long offOut, long length, uint flags, out long copied);
}
