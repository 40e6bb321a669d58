using Hive.Core.Files;
using Hive.Files.Audit;
using Hive.Files.Backends;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files.Mediation;

/// <summary>An open directory: its backend handle; listings are serialised per handle.</summary>
internal sealed class DirectoryHandle(Node node, long backend)
{
    public Node Node { get; } = node;
    public long Backend { get; } = backend;
    public Lock Sync { get; } = new();
}

internal sealed partial class MediatingFileSystem
{
    private const uint DtUnknown = 0;
    private const uint DtDir = 4;

    public int Opendir(in FuseContext c, uint flags, out FuseOpenOut open)
    {
        open = default;
        var node = _nodes.Get(c.NodeId);
        if (node is null || node.Detached) return Gone(node);
        if (Visibility(node) == FsVisibility.Hidden)
        {
            Denied(c, node.Path, FsOp.Opendir, Errno.ENOENT);
            return Errno.ENOENT;
        }
        var error = _backend.OpenDirectory(Rel(node.Path), out var backend);
        if (error != 0) return error;
        var fh = (ulong)Interlocked.Increment(ref _nextHandle);
        _directories[fh] = new DirectoryHandle(node, backend);
        // The kernel keeps the listing and serves later opens of the directory from it while the directory's mtime stays
        // the same (it checks the mtime at every open once the attributes time out) and nothing dropped it: changes
        // through this mount, through another mount of the volume or the files API, and ACL changes all do.
        open = new FuseOpenOut { Fh = fh, OpenFlags = _backend.MtimeTracksListing ? FuseConstants.FopenCacheDir | FuseConstants.FopenKeepCache : 0 };
        return 0;
    }

    public int Readdir(in FuseContext c, ulong fh, long offset, ref DirectoryBuffer buffer)
    {
        if (!_directories.TryGetValue(fh, out var handle)) return Errno.EBADF;
        lock (handle.Sync)
        {
            var visitor = new ListingVisitor(this, handle, buffer, Acl);
            var error = _backend.ReadDirectory(handle.Backend, offset, ref visitor);
            buffer = visitor.Buffer;
            // Entries already placed stand even if listing further failed.
            return buffer.Used > 0 ? 0 : error;
        }
    }

    public int Releasedir(in FuseContext c, ulong fh) =>
        _directories.TryRemove(fh, out var handle) ? _backend.CloseDirectory(handle.Backend) : Errno.EBADF;

    /// <summary>
    /// Fills a READDIR(PLUS) reply: entries the ACL hides are left out (a denied directory stays when something
    /// below it may be allowed); READDIRPLUS looks up what it lists, so each listed entry is a kernel lookup.
    /// </summary>
    private ref struct ListingVisitor(MediatingFileSystem fs, DirectoryHandle handle, DirectoryBuffer buffer, AclMatcher acl) : IDirectoryVisitor
    {
        private readonly byte[] _dir = handle.Node.Path;
        public DirectoryBuffer Buffer = buffer;

        public bool Entry(ReadOnlySpan<byte> name, ulong ino, uint type, long nextOffset)
        {
            var dots = name.SequenceEqual("."u8) || name.SequenceEqual(".."u8);
            if (dots)
            {
                if (!Buffer.Plus) return Buffer.Add(name, ino, type, nextOffset);
                // nodeid 0: the kernel lists the name without making a dentry for it.
                return !Buffer.Fits(name) ? false : Buffer.AddPlus(default, name, ino, type, nextOffset);
            }
            if (!Buffer.Fits(name)) return false;
            if (_dir.Length + 1 + name.Length > MaxPath) return true;
            Span<byte> path = stackalloc byte[_dir.Length + 1 + name.Length];
            Join(_dir, name, path);

            FileStat stat = default;
            var haveStat = false;
            var decided = acl.Decide(path);
            if (decided == Hive.Core.Config.AclAccess.Deny)
            {
                if (!acl.MayAllowBelow(path)) return true;
                if (type == DtUnknown)
                {
                    if (fs._backend.StatAt(handle.Backend, name, out stat) != 0) return true;
                    haveStat = true;
                    if (!stat.IsDirectory) return true;
                }
                else if (type != DtDir) return true;
            }
            if (!Buffer.Plus) return Buffer.Add(name, ino, type, nextOffset);

            if (!haveStat && fs._backend.StatAt(handle.Backend, name, out stat) != 0) return true;
            if (decided == Hive.Core.Config.AclAccess.Deny && !stat.IsDirectory) return true;
            var node = fs._nodes.Remember(handle.Node, name, stat);
            fs.Fill(node, stat, out var entry);
            if (Buffer.AddPlus(entry, name, ino, (stat.Mode & Libc.S_IFMT) >> 12, nextOffset)) return true;
            // Cannot happen (Fits was checked), but never leave a lookup the kernel does not know of.
            fs._nodes.Forget(node.Id, 1);
            return false;
        }
    }
}
