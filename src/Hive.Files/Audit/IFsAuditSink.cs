using Hive.Files.Native;

namespace Hive.Files.Audit;

/// <summary>The operations an audit record can name; <see cref="FsAuditRecord.OpName"/> gives the event's <c>op</c>.</summary>
public enum FsOp : byte
{
    Open,
    Read,
    Write,
    Create,
    Mkdir,
    Mknod,
    Unlink,
    Rmdir,
    Rename,
    Link,
    Symlink,
    Setattr,
    Setxattr,
    Removexattr,
    Getxattr,
    Listxattr,
    Lookup,
    Getattr,
    Readlink,
    Opendir,
    Access,
}

/// <summary>
/// One audited file operation: becomes an <c>fs.request</c> (mount, path, op, access) and an <c>fs.response</c>
/// (durationMs, error, bytes) event. Reads and writes through one open handle are aggregated and reported when it
/// is released; lookups and getattr only when denied.
/// </summary>
/// <param name="Mount">The mount path in the sandbox (<c>/workspace</c>).</param>
/// <param name="Path">The in-sandbox path the operation was on.</param>
/// <param name="Allowed">False when the ACL refused it (the error then says how: ENOENT, EROFS, EACCES, EXDEV).</param>
/// <param name="DurationMs">Time spent (for aggregated reads/writes: in the read or write calls).</param>
/// <param name="Error">The errno answered, 0 on success.</param>
/// <param name="Bytes">Bytes read or written, where that applies and is known.</param>
/// <param name="Detail">Open mode (<c>rw,trunc</c>), rename/link target, symlink target, changed attributes.</param>
/// <param name="Uid">The caller's uid.</param>
/// <param name="Pid">The caller's pid (in the daemon's pid namespace).</param>
public readonly record struct FsAuditRecord(
    string Mount, string Path, FsOp Op, bool Allowed, double DurationMs, int Error, long? Bytes, string? Detail, uint Uid, uint Pid)
{
    public string OpName => Op switch
    {
        FsOp.Open => "open",
        FsOp.Read => "read",
        FsOp.Write => "write",
        FsOp.Create => "create",
        FsOp.Mkdir => "mkdir",
        FsOp.Mknod => "mknod",
        FsOp.Unlink => "unlink",
        FsOp.Rmdir => "rmdir",
        FsOp.Rename => "rename",
        FsOp.Link => "link",
        FsOp.Symlink => "symlink",
        FsOp.Setattr => "setattr",
        FsOp.Setxattr => "setxattr",
        FsOp.Removexattr => "removexattr",
        FsOp.Getxattr => "getxattr",
        FsOp.Listxattr => "listxattr",
        FsOp.Lookup => "lookup",
        FsOp.Getattr => "getattr",
        FsOp.Readlink => "readlink",
        FsOp.Opendir => "opendir",
        FsOp.Access => "access",
        _ => Op.ToString().ToLowerInvariant(),
    };

    /// <summary>"allowed" or "denied", as events spell it.</summary>
    public string Access => Allowed ? "allowed" : "denied";

    /// <summary>The errno's name (<c>ENOENT</c>), or null on success.</summary>
    public string? ErrorName => Error == 0 ? null : Errno.Name(Error);
}

/// <summary>
/// Receives audit records. Called synchronously on the thread serving the request, so it must only queue: the
/// daemon's sink appends to its event pipeline.
/// </summary>
public interface IFsAuditSink
{
    void Record(in FsAuditRecord record);
}
