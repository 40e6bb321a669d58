using System.Diagnostics;
using System.Text;
using Hive.Core.Config;
using Hive.Core.Files;
using Hive.Files.Audit;
using Hive.Files.Backends;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files.Mediation;

internal sealed partial class MediatingFileSystem
{
    private const uint RenameNoreplace = 1;
    private const uint RenameExchange = 2;
    private const int MaxPath = 4096;

    public int Mkdir(in FuseContext c, ReadOnlySpan<byte> name, uint mode, uint umask, out FuseEntryOut entry) =>
        MakeEntry(c, FsOp.Mkdir, name, mode, default, out entry);

    public int Mknod(in FuseContext c, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, out FuseEntryOut entry)
    {
        entry = default;
        // Regular files, FIFOs and sockets; never device nodes (the mount is nodev as well).
        var type = mode & Libc.S_IFMT;
        if (type is not (Libc.S_IFREG or Libc.S_IFIFO or Libc.S_IFSOCK or 0)) return Errno.EPERM;
        return MakeEntry(c, FsOp.Mknod, name, type == 0 ? mode | Libc.S_IFREG : mode, default, out entry);
    }

    public int Symlink(in FuseContext c, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, out FuseEntryOut entry)
    {
        entry = default;
        if (target.IsEmpty || target.Length >= MaxPath) return target.IsEmpty ? Errno.ENOENT : Errno.ENAMETOOLONG;
        return MakeEntry(c, FsOp.Symlink, name, 0, target, out entry);
    }

    private int MakeEntry(in FuseContext c, FsOp op, ReadOnlySpan<byte> name, uint mode, ReadOnlySpan<byte> target, out FuseEntryOut entry)
    {
        entry = default;
        var start = Stopwatch.GetTimestamp();
        var parent = _nodes.Get(c.NodeId);
        if (parent is null || parent.Detached) return Gone(parent);
        if (!ValidName(name, out var error)) return error;
        var parentPath = parent.Path;
        Span<byte> path = stackalloc byte[parentPath.Length + 1 + name.Length];
        Join(parentPath, name, path);
        var detail = op == FsOp.Symlink && _audit is not null ? Encoding.UTF8.GetString(target) : null;
        error = CreateAccess(path);
        if (error == 0 && Acl.Resolve(parentPath, true, IsRoot(parent)) == FsVisibility.Hidden) error = Errno.ENOENT;
        if (error != 0)
        {
            Record(c, path, op, false, start, error, null, detail);
            return error;
        }
        var rel = Rel(path);
        FileStat stat;
        error = op switch
        {
            FsOp.Mkdir => _backend.Mkdir(rel, mode, c.Uid, c.Gid, out stat),
            FsOp.Mknod => _backend.Mknod(rel, mode, c.Uid, c.Gid, out stat),
            _ => _backend.Symlink(target, rel, c.Uid, c.Gid, out stat),
        };
        Record(c, path, op, true, start, error, null, detail);
        if (error != 0) return error;
        var node = _nodes.Remember(parent, name, stat);
        Fill(node, stat, out entry);
        Changed(parent, name);
        return 0;
    }

    public int Unlink(in FuseContext c, ReadOnlySpan<byte> name) => Remove(c, FsOp.Unlink, name);

    public int Rmdir(in FuseContext c, ReadOnlySpan<byte> name) => Remove(c, FsOp.Rmdir, name);

    private int Remove(in FuseContext c, FsOp op, ReadOnlySpan<byte> name)
    {
        var start = Stopwatch.GetTimestamp();
        var parent = _nodes.Get(c.NodeId);
        if (parent is null || parent.Detached) return Gone(parent);
        if (!ValidName(name, out var error)) return error;
        var parentPath = parent.Path;
        Span<byte> path = stackalloc byte[parentPath.Length + 1 + name.Length];
        Join(parentPath, name, path);
        error = WriteAccess(Acl.Resolve(path, isDirectory: op == FsOp.Rmdir));
        if (error != 0)
        {
            Record(c, path, op, false, start, error, null, null);
            return error;
        }
        var rel = Rel(path);
        error = op == FsOp.Rmdir ? _backend.Rmdir(rel) : _backend.Unlink(rel);
        if (op == FsOp.Rmdir) error = HideContent(path, error);
        Record(c, path, op, true, start, error, null, null);
        if (error != 0) return error;
        if (_nodes.Detach(parent, name) is { Nlink: > 1 } removed) InvalidateLinks(removed.Ino, removed, data: false);
        Changed(parent, name);
        return 0;
    }

    public int Rename(in FuseContext c, ReadOnlySpan<byte> name, ulong newParentId, ReadOnlySpan<byte> newName, uint flags)
    {
        var start = Stopwatch.GetTimestamp();
        var parent = _nodes.Get(c.NodeId);
        var newParent = _nodes.Get(newParentId);
        if (parent is null || parent.Detached || newParent is null || newParent.Detached) return parent is null || newParent is null ? Errno.ESTALE : Errno.ENOENT;
        if (!ValidName(name, out var error) || !ValidName(newName, out error)) return error;
        if ((flags & ~(RenameNoreplace | RenameExchange)) != 0 || flags == (RenameNoreplace | RenameExchange)) return Errno.EINVAL;
        var fromParent = parent.Path;
        var toParent = newParent.Path;
        Span<byte> from = stackalloc byte[fromParent.Length + 1 + name.Length];
        Span<byte> to = stackalloc byte[toParent.Length + 1 + newName.Length];
        Join(fromParent, name, from);
        Join(toParent, newName, to);
        var exchange = (flags & RenameExchange) != 0;

        error = RenameAccess(from, to, exchange);
        if (error != 0)
        {
            Record(c, from, FsOp.Rename, false, start, error, null, _audit is null ? null : Encoding.UTF8.GetString(to));
            return error;
        }
        error = HideContent(to, _backend.Rename(Rel(from), Rel(to), flags));
        Record(c, from, FsOp.Rename, true, start, error, null, _audit is null ? null : Encoding.UTF8.GetString(to));
        if (error != 0) return error;
        _nodes.Move(parent, name, newParent, newName, exchange);
        Changed(parent, name);
        Changed(newParent, newName);
        return 0;
    }

    /// <summary>
    /// Rename needs rw at both ends. A directory carries its whole subtree to a new path where other rules may apply,
    /// so it moves only when everything below it is rw by the rules (nothing hidden or read-only inside could be
    /// exposed); otherwise EXDEV, and mv, git and friends fall back to copying entry by entry, each one checked.
    /// RENAME_EXCHANGE moves both, so both are checked both ways.
    /// </summary>
    private int RenameAccess(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, bool exchange)
    {
        var acl = Acl;
        var error = _backend.Stat(Rel(from), out var source);
        if (error != 0) return error;
        error = WriteAccess(acl.Resolve(from, source.IsDirectory));
        if (error != 0) return error;
        error = CreateAccess(to);
        if (error != 0) return error;
        if (source.IsDirectory && !SubtreeRw(acl, from)) return Errno.EXDEV;
        if (exchange)
        {
            error = _backend.Stat(Rel(to), out var target);
            if (error != 0) return error;
            if (target.IsDirectory && !SubtreeRw(acl, to)) return Errno.EXDEV;
        }
        return 0;
    }

    /// <summary>
    /// ENOTEMPTY from removing or replacing a directory that, for the sandbox, lists as empty would confirm that it
    /// holds hidden entries: answer EACCES instead, as for creating something at a denied path. What remains (the
    /// removal fails where an empty directory would go) is documented in docs/files.md.
    /// </summary>
    private int HideContent(ReadOnlySpan<byte> directory, int error)
    {
        if (error is not (Errno.ENOTEMPTY or Errno.EEXIST)) return error;
        var acl = Acl;
        if (!acl.MayHideBelow(directory)) return error;
        var path = directory.ToArray();
        if (_backend.OpenDirectory(Rel(path), out var handle) != 0) return error;
        var entries = new EntryList();
        try
        {
            if (_backend.ReadDirectory(handle, 0, ref entries) != 0) return error;
        }
        finally
        {
            _backend.CloseDirectory(handle);
        }
        foreach (var (name, type) in entries.Items)
        {
            var child = NodeTable.Join(path, name);
            var isDirectory = type == DtDir;
            if (type == DtUnknown && _backend.Stat(Rel(child), out var stat) == 0) isDirectory = stat.IsDirectory;
            if (acl.Resolve(child, isDirectory) != FsVisibility.Hidden) return error;
        }
        return Errno.EACCES;
    }

    /// <summary>Entries a directory rename may look at before giving up with EXDEV.</summary>
    internal const int RenameWalkBudget = 10_000;

    /// <summary>
    /// True when everything below <paramref name="directory"/> is rw: from the patterns alone when they say so
    /// (<c>rw /workspace/**</c>), otherwise by listing what is actually there (rules such as <c>deny **/*.key</c> make
    /// every subtree "possibly mixed", but most directories hold no such file). Gives up (false) past a budget.
    /// </summary>
    private bool SubtreeRw(AclMatcher acl, ReadOnlySpan<byte> directory)
    {
        if (acl.IsSubtreeRw(directory)) return true;
        var budget = RenameWalkBudget;
        return WalkRw(acl, directory.ToArray(), ref budget);
    }

    private bool WalkRw(AclMatcher acl, byte[] directory, ref int budget)
    {
        if (_backend.OpenDirectory(Rel(directory), out var handle) != 0) return false;
        var entries = new EntryList();
        try
        {
            if (_backend.ReadDirectory(handle, 0, ref entries) != 0) return false;
        }
        finally
        {
            _backend.CloseDirectory(handle);
        }
        foreach (var (name, type) in entries.Items)
        {
            if (--budget < 0) return false;
            var path = NodeTable.Join(directory, name);
            if (acl.Decide(path) != AclAccess.Rw) return false;
            var isDirectory = type == DtDir;
            if (type == DtUnknown)
            {
                if (_backend.Stat(Rel(path), out var stat) != 0) return false;
                isDirectory = stat.IsDirectory;
            }
            if (isDirectory && !acl.IsSubtreeRw(path) && !WalkRw(acl, path, ref budget)) return false;
        }
        return true;
    }

    private struct EntryList() : IDirectoryVisitor
    {
        public List<(byte[] Name, uint Type)> Items { get; } = [];

        public bool Entry(ReadOnlySpan<byte> name, ulong ino, uint type, long nextOffset)
        {
            if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8)) Items.Add((name.ToArray(), type));
            return true;
        }
    }

    public int Link(in FuseContext c, ulong oldNodeId, ReadOnlySpan<byte> newName, out FuseEntryOut entry)
    {
        entry = default;
        var start = Stopwatch.GetTimestamp();
        var node = _nodes.Get(oldNodeId);
        var newParent = _nodes.Get(c.NodeId);
        if (node is null || node.Detached || newParent is null || newParent.Detached) return node is null || newParent is null ? Errno.ESTALE : Errno.ENOENT;
        if (!ValidName(newName, out var error)) return error;
        var parentPath = newParent.Path;
        Span<byte> to = stackalloc byte[parentPath.Length + 1 + newName.Length];
        Join(parentPath, newName, to);
        var from = node.Path;
        error = WriteAccess(Visibility(node));
        if (error == 0) error = CreateAccess(to);
        if (error != 0)
        {
            Record(c, from, FsOp.Link, false, start, error, null, _audit is null ? null : Encoding.UTF8.GetString(to));
            return error;
        }
        error = _backend.Link(Rel(from), Rel(to), out var stat);
        Record(c, from, FsOp.Link, true, start, error, null, _audit is null ? null : Encoding.UTF8.GetString(to));
        if (error != 0) return error;
        var linked = _nodes.Remember(newParent, newName, stat);
        Fill(linked, stat, out entry);
        InvalidateLinks(stat.Ino, linked, data: false);
        Changed(newParent, newName);
        return 0;
    }
}
