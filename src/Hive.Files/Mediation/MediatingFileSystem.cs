using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Hive.Core.Config;
using Hive.Core.Files;
using Hive.Files.Audit;
using Hive.Files.Backends;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files.Mediation;

/// <summary>
/// Between the kernel and a backend: maps node ids to in-sandbox paths, applies the mount's ACL to every operation
/// (deny: ENOENT and left out of listings; ro: EROFS for every kind of write; rename and link need rw at both ends,
/// and a directory moves only when everything below it is rw, else EXDEV so tools copy instead), records what a
/// person would want to see, and hands regular files to the kernel for passthrough where it can.
/// </summary>
/// <remarks>
/// Decisions are made per operation on the current rules (<see cref="UpdateAcls"/> swaps them atomically). An open
/// file handle keeps the access it was opened with, as with Unix permissions; reopening (even through
/// /proc/self/fd) decides again.
/// </remarks>
internal sealed partial class MediatingFileSystem : IFuseFileSystem
{
    private readonly IFsBackend _backend;
    private readonly IFsAuditSink? _audit;
    private readonly FuseOptions _options;
    private readonly NodeTable _nodes;
    private readonly int _mountLength;
    private readonly CacheTimeouts _shared, _alone;
    private readonly ConcurrentDictionary<ulong, FileHandle> _files = new();
    private readonly ConcurrentDictionary<ulong, DirectoryHandle> _directories = new();
    private long _nextHandle;
    private AclMatcher _acl;
    private IFuseKernel? _kernel;
    private volatile bool _passthrough;
    private SharedVolumes.Volume? _volume;

    public MediatingFileSystem(string mount, IFsBackend backend, AclMatcher acl, IFsAuditSink? audit, FuseOptions options, int epoch = 0)
    {
        Mount = mount;
        _backend = backend;
        _acl = acl;
        _audit = audit;
        _options = options;
        var mountBytes = Encoding.UTF8.GetBytes(mount);
        _mountLength = mountBytes.Length;
        _nodes = new NodeTable(mountBytes, epoch);
        // Open files of an earlier life keep their handle numbers in the kernel: new ones must never collide with them.
        _nextHandle = (long)epoch << NodeTable.EpochShift;
        _shared = new CacheTimeouts(options.EntryTimeout, options.AttrTimeout);
        _alone = options.ExclusiveStorage ? new CacheTimeouts(options.ExclusiveTimeout, options.ExclusiveTimeout) : _shared;
    }

    /// <summary>The in-sandbox mount path, the prefix of every ACL path.</summary>
    public string Mount { get; }

    public AclMatcher Acl => Volatile.Read(ref _acl);

    internal NodeTable Nodes => _nodes;
    internal int OpenFiles => _files.Count;

    public void Init(IFuseKernel kernel)
    {
        _kernel = kernel;
        _passthrough = _options.Passthrough && kernel.PassthroughEnabled;
        _volume ??= SharedVolumes.Join(_backend.Description, this);
    }

    /// <summary>Stops taking part in the shared volume's invalidations (the mount is going away).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _volume, null) is { } volume) SharedVolumes.Leave(volume, this);
    }

    /// <summary>
    /// What replies tell the kernel it may cache for: the long timeouts only while this mount is the only one of an
    /// exclusive storage (<see cref="FuseOptions.ExclusiveStorage"/>), otherwise the short ones.
    /// </summary>
    private CacheTimeouts Timeouts => _volume is { Members.Length: 1 } ? _alone : _shared;

    /// <summary>
    /// Another mount of the storage appeared: what the kernel cached under the long timeouts must not outlive that, so
    /// every attribute is dropped (names need not be: changes of names are pushed between mounts as they happen).
    /// </summary>
    internal void NowShared()
    {
        var kernel = _kernel;
        if (kernel is null || ReferenceEquals(_alone, _shared)) return;
        foreach (var node in _nodes.All()) kernel.NotifyInvalInode(node.Id, data: node.IsDirectory);
    }

    /// <summary>A name in <paramref name="parent"/> was made, removed or renamed here: other mounts of the storage drop it.</summary>
    private void Changed(Node parent, ReadOnlySpan<byte> name)
    {
        if (_volume is { } volume) SharedVolumes.Changed(volume, this, Rel(parent.Path), name);
    }

    public void Destroy()
    {
    }

    /// <summary>
    /// Replaces the rules. New operations see them at once; the kernel's cached names, attributes and listings of every
    /// node it knows are dropped, so nothing it cached under the old rules (a name, a listing) outlives the change.
    /// </summary>
    public void UpdateAcls(AclMatcher acl)
    {
        Volatile.Write(ref _acl, acl);
        var kernel = _kernel;
        if (kernel is null) return;
        foreach (var node in _nodes.All())
        {
            if (node.Parent is { } parent && !node.Detached) kernel.NotifyInvalEntry(parent.Id, node.Name);
            // A directory's data is its cached listing (FOPEN_CACHE_DIR), which left out what the old rules hid.
            kernel.NotifyInvalInode(node.Id, data: node.IsDirectory);
        }
    }

    /// <summary>
    /// Someone changed <paramref name="sandboxPath"/> behind the kernel's back (the owner's files API, on the storage
    /// itself): drop what the kernel cached for that name, for the file's data and attributes and for its directory's
    /// listing, so the agent's next operation sees the change instead of a cached answer.
    /// </summary>
    public void Invalidate(string sandboxPath)
    {
        var target = Encoding.UTF8.GetBytes(sandboxPath.TrimEnd('/'));
        if (target.Length <= _mountLength + 1 || !target.AsSpan().StartsWith(_nodes.Root.Path) || target[_mountLength] != (byte)'/') return;
        var rel = target.AsSpan(_mountLength + 1);
        var slash = rel.LastIndexOf((byte)'/');
        InvalidateName(slash < 0 ? [] : rel[..slash], rel[(slash + 1)..]);
    }

    /// <summary>
    /// Drops what the kernel cached for <paramref name="name"/> in the directory at <paramref name="parent"/> (relative to
    /// the mount, empty for its root): the entry, present or negative, the file's attributes and data, the directory's
    /// attributes and listing. When a directory on the way is one the kernel has not looked up, the kernel may hold a
    /// negative entry for it instead (the files API made the whole path): that one is dropped.
    /// </summary>
    internal void InvalidateName(ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name)
    {
        var kernel = _kernel;
        if (kernel is null) return;
        var reached = _nodes.Walk(parent, out var missing);
        if (!missing.IsEmpty)
        {
            kernel.NotifyInvalEntry(reached.Id, missing);
            return;
        }
        if (_nodes.Child(reached, name) is { } node) kernel.NotifyInvalInode(node.Id, data: true);
        kernel.NotifyInvalEntry(reached.Id, name);
        kernel.NotifyInvalInode(reached.Id, data: true);
    }

    // ---- lookups and attributes ----------------------------------------------------------------------------------------

    public int Lookup(in FuseContext c, ReadOnlySpan<byte> name, out FuseEntryOut entry)
    {
        entry = default;
        var parent = _nodes.Get(c.NodeId);
        if (parent is null || parent.Detached) return Gone(parent);
        if (!ValidName(name, out var error)) return error;
        var acl = Acl;
        if (acl.Resolve(parent.Path, isDirectory: true, IsRoot(parent)) == FsVisibility.Hidden) return Errno.ENOENT;
        var parentPath = parent.Path;
        Span<byte> path = stackalloc byte[parentPath.Length + 1 + name.Length];
        Join(parentPath, name, path);
        var decided = acl.Decide(path);
        if (decided == AclAccess.Deny && !acl.MayAllowBelow(path))
        {
            Denied(c, path, FsOp.Lookup, Errno.ENOENT);
            return Errno.ENOENT;
        }
        error = _backend.Stat(Rel(path), out var stat);
        if (error == Errno.ENOENT && decided != AclAccess.Deny)
        {
            // A name that does not exist: answered as an entry with node id 0, which the kernel caches as a negative
            // entry for the entry timeout, so probes of missing names (compilers, imports) stop coming here. Names made
            // later through this mount replace it; through another mount or the files API, they invalidate it.
            var timeouts = Timeouts;
            entry = new FuseEntryOut { NodeId = 0, EntryValid = timeouts.Entry, EntryValidNsec = timeouts.EntryNsec };
            return 0;
        }
        if (error != 0) return error;
        if (decided == AclAccess.Deny && !stat.IsDirectory)
        {
            Denied(c, path, FsOp.Lookup, Errno.ENOENT);
            return Errno.ENOENT;
        }
        var node = _nodes.Remember(parent, name, stat);
        Fill(node, stat, out entry);
        return 0;
    }

    public void Forget(ulong nodeId, ulong nlookup) => _nodes.Forget(nodeId, nlookup);

    public int Getattr(in FuseContext c, ulong fh, bool hasFh, out FuseAttrOut attr)
    {
        attr = default;
        var node = _nodes.Get(c.NodeId);
        if (node is null) return Errno.ESTALE;
        FileStat stat;
        int error;
        if (hasFh && _files.TryGetValue(fh, out var handle)) error = _backend.StatHandle(handle.Backend, out stat);
        else
        {
            if (node.Detached) return Errno.ENOENT;
            if (Visibility(node) == FsVisibility.Hidden)
            {
                Denied(c, node.Path, FsOp.Getattr, Errno.ENOENT);
                return Errno.ENOENT;
            }
            error = _backend.Stat(Rel(node.Path), out stat);
        }
        if (error != 0) return error;
        node.Nlink = stat.Nlink;
        FillAttr(node.Path, stat, out attr);
        return 0;
    }

    public int Setattr(in FuseContext c, in FuseSetattrIn input, out FuseAttrOut attr)
    {
        attr = default;
        var start = Stopwatch.GetTimestamp();
        var node = _nodes.Get(c.NodeId);
        if (node is null || node.Detached) return Gone(node);
        var path = node.Path;
        var error = WriteAccess(Visibility(node));
        // Files are handed over only to the caller's own uid (the kernel checks groups and ownership on top, through
        // default_permissions); the backend runs as root, so this also holds for a caller the kernel would let through.
        if (error == 0 && (input.Valid & FuseConstants.FattrUid) != 0 && input.Uid != c.Uid) error = Errno.EPERM;
        if (error != 0)
        {
            Record(c, path, FsOp.Setattr, false, start, error, null, SetattrDetail(input));
            return error;
        }
        var request = new SetAttributes();
        var v = input.Valid;
        if ((v & FuseConstants.FattrMode) != 0) { request.Valid |= SetAttributesMask.Mode; request.Mode = input.Mode; }
        if ((v & FuseConstants.FattrUid) != 0) { request.Valid |= SetAttributesMask.Uid; request.Uid = input.Uid; }
        if ((v & FuseConstants.FattrGid) != 0) { request.Valid |= SetAttributesMask.Gid; request.Gid = input.Gid; }
        if ((v & FuseConstants.FattrSize) != 0) { request.Valid |= SetAttributesMask.Size; request.Size = (long)input.Size; }
        if ((v & FuseConstants.FattrAtimeNow) != 0) request.Valid |= SetAttributesMask.AtimeNow;
        else if ((v & FuseConstants.FattrAtime) != 0) { request.Valid |= SetAttributesMask.Atime; request.Atime = (long)input.Atime; request.AtimeNsec = input.AtimeNsec; }
        if ((v & FuseConstants.FattrMtimeNow) != 0) request.Valid |= SetAttributesMask.MtimeNow;
        else if ((v & FuseConstants.FattrMtime) != 0) { request.Valid |= SetAttributesMask.Mtime; request.Mtime = (long)input.Mtime; request.MtimeNsec = input.MtimeNsec; }
        long backendHandle = -1;
        if ((v & FuseConstants.FattrFh) != 0 && _files.TryGetValue(input.Fh, out var handle)) backendHandle = handle.Backend;
        error = _backend.SetAttributes(Rel(path), backendHandle, request, out var stat);
        Record(c, path, FsOp.Setattr, true, start, error, null, SetattrDetail(input));
        if (error != 0) return error;
        if (stat.Nlink > 1) InvalidateLinks(stat.Ino, node, data: (request.Valid & SetAttributesMask.Size) != 0);
        FillAttr(path, stat, out attr);
        return 0;
    }

    public int Readlink(in FuseContext c, Span<byte> target, out int length)
    {
        length = 0;
        var node = _nodes.Get(c.NodeId);
        if (node is null || node.Detached) return Gone(node);
        if (Visibility(node) == FsVisibility.Hidden)
        {
            Denied(c, node.Path, FsOp.Readlink, Errno.ENOENT);
            return Errno.ENOENT;
        }
        return _backend.ReadLink(Rel(node.Path), target, out length);
    }

    public int Statfs(in FuseContext c, out FuseKstatfs stats)
    {
        stats = default;
        var error = _backend.StatFs(out var s);
        if (error != 0) return error;
        stats = new FuseKstatfs
        {
            Blocks = s.Blocks, Bfree = s.Bfree, Bavail = s.Bavail, Files = s.Files, Ffree = s.Ffree,
            Bsize = s.Bsize, Frsize = s.Frsize, Namelen = s.NameMax == 0 ? 255 : s.NameMax,
        };
        return 0;
    }

    public int Access(in FuseContext c, uint mask)
    {
        var node = _nodes.Get(c.NodeId);
        if (node is null || node.Detached) return Gone(node);
        var visibility = Visibility(node);
        if (visibility == FsVisibility.Hidden) return Errno.ENOENT;
        const uint W_OK = 2;
        return (mask & W_OK) != 0 && visibility != FsVisibility.Rw ? Errno.EROFS : 0;
    }

    // ---- helpers -------------------------------------------------------------------------------------------------------

    /// <summary>
    /// A node id this process never gave out is one the kernel kept from the daemon's previous life (the session
    /// outlived it): ESTALE, so the kernel looks the name up again. A removed node is simply gone: ENOENT.
    /// </summary>
    private static int Gone(Node? node) => node is null ? Errno.ESTALE : Errno.ENOENT;

    private bool IsRoot(Node node) => node.Id == FuseConstants.RootId;

    private FsVisibility Visibility(Node node) => Acl.Resolve(node.Path, node.IsDirectory, IsRoot(node));

    /// <summary>0 when a write is allowed at this visibility; else ENOENT (hidden) or EROFS.</summary>
    private static int WriteAccess(FsVisibility visibility) => visibility switch
    {
        FsVisibility.Rw => 0,
        FsVisibility.Hidden => Errno.ENOENT,
        _ => Errno.EROFS,
    };

    /// <summary>0 when a new entry may be made at <paramref name="path"/>: rw; ro → EROFS; denied → EACCES (whether or not it exists).</summary>
    private int CreateAccess(ReadOnlySpan<byte> path) => Acl.Decide(path) switch
    {
        AclAccess.Rw => 0,
        AclAccess.Ro => Errno.EROFS,
        _ => Errno.EACCES,
    };

    private ReadOnlySpan<byte> Rel(ReadOnlySpan<byte> path) => path.Length <= _mountLength ? [] : path[(_mountLength + 1)..];

    private static void Join(ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name, Span<byte> target)
    {
        parent.CopyTo(target);
        target[parent.Length] = (byte)'/';
        name.CopyTo(target[(parent.Length + 1)..]);
    }

    private static bool ValidName(ReadOnlySpan<byte> name, out int error)
    {
        error = 0;
        if (name.IsEmpty || name.IndexOf((byte)'/') >= 0 || name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
            error = Errno.EINVAL;
        else if (name.Length > 255)
            error = Errno.ENAMETOOLONG;
        return error == 0;
    }

    /// <summary>
    /// A hard-linked file is one node per name, so the kernel caches its attributes per name: after a change through
    /// one name (link, unlink, write), drop what it cached for the others.
    /// </summary>
    private void InvalidateLinks(ulong ino, Node? except, bool data)
    {
        var kernel = _kernel;
        if (kernel is null) return;
        foreach (var other in _nodes.WithIno(ino))
            if (!ReferenceEquals(other, except)) kernel.NotifyInvalInode(other.Id, data);
    }

    private void Fill(Node node, in FileStat stat, out FuseEntryOut entry)
    {
        node.Nlink = stat.Nlink;
        var shown = Conceal(node.Path, stat);
        var timeouts = Timeouts;
        entry = new FuseEntryOut
        {
            NodeId = node.Id,
            Generation = 0,
            EntryValid = timeouts.Entry,
            EntryValidNsec = timeouts.EntryNsec,
            AttrValid = timeouts.Attr,
            AttrValidNsec = timeouts.AttrNsec,
        };
        Convert(shown, out entry.Attr);
    }

    private void FillAttr(ReadOnlySpan<byte> path, in FileStat stat, out FuseAttrOut attr)
    {
        var timeouts = Timeouts;
        attr = new FuseAttrOut { AttrValid = timeouts.Attr, AttrValidNsec = timeouts.AttrNsec };
        Convert(Conceal(path, stat), out attr.Attr);
    }

    /// <summary>
    /// A directory below which the ACL may hide entries shows what btrfs and many FUSE file systems report: link count
    /// 1 ("not counted", so find does not use it to skip subdirectories) and size 0. Otherwise the count of hidden
    /// subdirectories (st_nlink - 2) and the room their names take (st_size) would betray what the listing leaves out.
    /// </summary>
    private FileStat Conceal(ReadOnlySpan<byte> path, in FileStat stat)
    {
        var shown = stat;
        if (stat.IsDirectory && Acl.MayHideBelow(path))
        {
            shown.Nlink = 1;
            shown.Size = 0;
            shown.Blocks = 0;
        }
        return shown;
    }

    private static void Convert(in FileStat s, out FuseAttr a)
    {
        a = new FuseAttr
        {
            Ino = s.Ino,
            Size = s.Size,
            Blocks = s.Blocks,
            Atime = (ulong)s.Atime,
            Mtime = (ulong)s.Mtime,
            Ctime = (ulong)s.Ctime,
            AtimeNsec = s.AtimeNsec,
            MtimeNsec = s.MtimeNsec,
            CtimeNsec = s.CtimeNsec,
            Mode = s.Mode,
            Nlink = s.Nlink,
            Uid = s.Uid,
            Gid = s.Gid,
            // new_encode_dev, which the kernel decodes
            Rdev = (s.RdevMinor & 0xFF) | (s.RdevMajor << 8) | ((s.RdevMinor & ~0xFFu) << 12),
            Blksize = s.Blksize == 0 ? 4096 : s.Blksize,
        };
    }

    /// <summary>Entry and attribute timeouts as the kernel takes them: seconds and nanoseconds.</summary>
    private sealed class CacheTimeouts
    {
        public CacheTimeouts(TimeSpan entry, TimeSpan attr)
        {
            (Entry, EntryNsec) = Split(entry);
            (Attr, AttrNsec) = Split(attr);
        }

        public ulong Entry { get; }
        public uint EntryNsec { get; }
        public ulong Attr { get; }
        public uint AttrNsec { get; }

        private static (ulong, uint) Split(TimeSpan timeout)
        {
            if (timeout <= TimeSpan.Zero) return (0, 0);
            var ticks = timeout.Ticks;
            return ((ulong)(ticks / TimeSpan.TicksPerSecond), (uint)(ticks % TimeSpan.TicksPerSecond * 100));
        }
    }

    // ---- audit -----------------------------------------------------------------------------------------------------------

    private void Denied(in FuseContext c, ReadOnlySpan<byte> path, FsOp op, int error, string? detail = null)
    {
        if (_audit is null) return;
        _audit.Record(new FsAuditRecord(Mount, Encoding.UTF8.GetString(path), op, false, 0, error, null, detail, c.Uid, c.Pid));
    }

    private void Record(in FuseContext c, ReadOnlySpan<byte> path, FsOp op, bool allowed, long start, int error, long? bytes, string? detail)
    {
        if (_audit is null) return;
        var duration = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        _audit.Record(new FsAuditRecord(Mount, Encoding.UTF8.GetString(path), op, allowed, duration, error, bytes, detail, c.Uid, c.Pid));
    }

    private string? SetattrDetail(in FuseSetattrIn input)
    {
        if (_audit is null) return null;
        var sb = new StringBuilder();
        var v = input.Valid;
        if ((v & FuseConstants.FattrMode) != 0) sb.Append("mode=").Append(System.Convert.ToString(input.Mode & 0xFFF, 8)).Append(',');
        if ((v & FuseConstants.FattrUid) != 0) sb.Append("uid=").Append(input.Uid).Append(',');
        if ((v & FuseConstants.FattrGid) != 0) sb.Append("gid=").Append(input.Gid).Append(',');
        if ((v & FuseConstants.FattrSize) != 0) sb.Append("size=").Append(input.Size).Append(',');
        if ((v & (FuseConstants.FattrAtime | FuseConstants.FattrAtimeNow)) != 0) sb.Append("atime,");
        if ((v & (FuseConstants.FattrMtime | FuseConstants.FattrMtimeNow)) != 0) sb.Append("mtime,");
        if (sb.Length > 0) sb.Length--;
        return sb.ToString();
    }

    private static string OpenMode(uint flags)
    {
        var mode = (flags & Libc.O_ACCMODE) switch
        {
            (uint)Libc.O_WRONLY => "w",
            (uint)Libc.O_RDWR => "rw",
            _ => "r",
        };
        if ((flags & Libc.O_TRUNC) != 0) mode += ",trunc";
        if ((flags & Libc.O_APPEND) != 0) mode += ",append";
        if ((flags & Libc.O_CREAT) != 0) mode += ",create";
        if ((flags & Libc.O_EXCL) != 0) mode += ",excl";
        return mode;
    }
}
