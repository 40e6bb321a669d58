using System.Diagnostics;
using System.Text;
using Hive.Core.Files;
using Hive.Files.Audit;
using Hive.Files.Native;

namespace Hive.Files.Mediation;

internal sealed partial class MediatingFileSystem
{
    public int Getxattr(in FuseContext c, ReadOnlySpan<byte> name, Span<byte> value, out int size)
    {
        size = 0;
        var node = _nodes.Get(c.NodeId);
        if (node is null || node.Detached) return Gone(node);
        // The kernel asks for this before every write to decide whether to drop file capabilities; the mount is
        // nosuid, so capabilities never apply. Answer at once instead of a round trip to the backend.
        if (name.SequenceEqual("security.capability"u8)) return Errno.ENODATA;
        if (Visibility(node) == FsVisibility.Hidden)
        {
            Denied(c, node.Path, FsOp.Getxattr, Errno.ENOENT);
            return Errno.ENOENT;
        }
        var error = _backend.GetXattr(Rel(node.Path), name, value, out size);
        return error;
    }

    public int Listxattr(in FuseContext c, Span<byte> list, out int size)
    {
        size = 0;
        var node = _nodes.Get(c.NodeId);
        if (node is null || node.Detached) return Gone(node);
        if (Visibility(node) == FsVisibility.Hidden)
        {
            Denied(c, node.Path, FsOp.Listxattr, Errno.ENOENT);
            return Errno.ENOENT;
        }
        return _backend.ListXattr(Rel(node.Path), list, out size);
    }

    public int Setxattr(in FuseContext c, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags) =>
        ChangeXattr(c, FsOp.Setxattr, name, value, flags);

    public int Removexattr(in FuseContext c, ReadOnlySpan<byte> name) => ChangeXattr(c, FsOp.Removexattr, name, default, 0);

    private int ChangeXattr(in FuseContext c, FsOp op, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        var start = Stopwatch.GetTimestamp();
        var node = _nodes.Get(c.NodeId);
        if (node is null || node.Detached) return Gone(node);
        var path = node.Path;
        var detail = _audit is null ? null : Encoding.UTF8.GetString(name);
        var error = WriteAccess(Visibility(node));
        // The backend acts as root: only the user namespace, which a sandbox user may set on its own files anyway.
        if (error == 0 && !name.StartsWith("user."u8)) error = Errno.EPERM;
        if (error != 0)
        {
            Record(c, path, op, false, start, error, null, detail);
            return error;
        }
        var rel = Rel(path);
        error = op == FsOp.Setxattr ? _backend.SetXattr(rel, name, value, flags) : _backend.RemoveXattr(rel, name);
        Record(c, path, op, true, start, error, null, detail);
        return error;
    }
}
