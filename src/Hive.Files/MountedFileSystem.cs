using Hive.Core.Config;
using Hive.Core.Files;
using Hive.Files.Audit;
using Hive.Files.Backends;
using Hive.Files.Mediation;

namespace Hive.Files;

/// <summary>
/// One mediated mount: a FUSE file system at a host directory, serving a backend under a mount's ACL and recording
/// to an audit sink. The daemon makes one per mount of a sandbox and binds the host directory into the container.
/// Dispose unmounts (lazily) and stops serving; the backend is disposed with it.
/// </summary>
public sealed class MountedFileSystem : IDisposable
{
    private readonly FuseSession _session;
    private readonly MediatingFileSystem _fs;
    private readonly IFsBackend _backend;

    private MountedFileSystem(string mountPoint, MediatingFileSystem fs, FuseSession session, IFsBackend backend)
    {
        MountPoint = mountPoint;
        _fs = fs;
        _session = session;
        _backend = backend;
    }

    /// <summary>The host directory the file system is mounted on.</summary>
    public string MountPoint { get; }

    /// <summary>The path of the mount inside the sandbox (ACL patterns are relative to the sandbox's root).</summary>
    public string SandboxPath => _fs.Mount;

    /// <summary>True when the kernel agreed to FUSE passthrough for this mount.</summary>
    public bool Passthrough => _session.PassthroughEnabled;

    /// <summary>True when the kernel sends this mount's requests through io_uring rings (see <see cref="FuseOptions.IoUring"/>).</summary>
    public bool IoUring => _session.IoUringActive;

    /// <summary>The rules in force.</summary>
    public IReadOnlyList<AclRule> Acls => _fs.Acl.Rules;

    /// <summary>
    /// Mounts <paramref name="backend"/> at <paramref name="mountPoint"/> (an existing host directory), as it appears at
    /// <paramref name="sandboxPath"/> in the sandbox. With <see cref="FuseOptions.SessionRecord"/>, a session kept there
    /// by the holder of an earlier server is taken over; otherwise a stale Hive FUSE mount left there by a crashed daemon
    /// is removed first. Needs root and /dev/fuse. Takes ownership of <paramref name="backend"/> (disposed on failure too).
    /// </summary>
    public static MountedFileSystem Mount(string mountPoint, string sandboxPath, IFsBackend backend, IReadOnlyList<AclRule> acls,
        IFsAuditSink? audit = null, FuseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        options ??= new FuseOptions();
        mountPoint = Path.GetFullPath(mountPoint).TrimEnd('/');
        if (string.IsNullOrEmpty(mountPoint)) throw new ArgumentException("cannot mount on /", nameof(mountPoint));
        try
        {
            var acl = AclMatcher.Compile(acls);
            if (options.SessionRecord is { } recordPath && TakeOver(mountPoint, sandboxPath, backend, acl, audit, options, recordPath) is { } kept)
                return kept;
            // First: a dead mount there answers ENOTCONN to everything, including the existence check.
            FuseMount.RemoveStale(mountPoint, options.Subtype);
            if (!Directory.Exists(mountPoint)) throw new DirectoryNotFoundException($"mount point {mountPoint} does not exist");
            var fs = new MediatingFileSystem(sandboxPath.TrimEnd('/'), backend, acl, audit, options);
            var session = new FuseSession(fs, options);
            session.Mount(mountPoint);
            SessionRecord? record = null;
            if (options.SessionRecord is { } path)
            {
                try
                {
                    var (pid, startTime) = SessionHolder.Start(session.Fd);
                    record = new SessionRecord(pid, startTime, session.Device, session.Negotiated.Minor, session.Negotiated.Flags, 0);
                    record.Write(path);
                }
                catch
                {
                    if (record is not null) SessionHolder.Stop(record);
                    session.Dispose();
                    throw;
                }
            }
            return new MountedFileSystem(mountPoint, fs, session, backend) { _record = record, _recordPath = options.SessionRecord };
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Serves the session a holder kept at <paramref name="mountPoint"/>, when the record names a live holder and the mount
    /// there is still that session's; otherwise ends whatever holder the record names and returns null.
    /// </summary>
    private static MountedFileSystem? TakeOver(string mountPoint, string sandboxPath, IFsBackend backend, AclMatcher acl, IFsAuditSink? audit,
        FuseOptions options, string recordPath)
    {
        if (SessionRecord.Read(recordPath) is not { } old) return null;
        var fd = -1;
        if (FuseMount.IsMounted(mountPoint, "fuse." + options.Subtype) && FuseMount.KernelDevice(mountPoint) == old.Device)
            fd = SessionHolder.TakeCopy(old);
        if (fd < 0)
        {
            SessionHolder.Stop(old);
            File.Delete(recordPath);
            return null;
        }
        var record = old with { Epoch = old.Epoch + 1 };
        var fs = new MediatingFileSystem(sandboxPath.TrimEnd('/'), backend, acl, audit, options, record.Epoch);
        var session = new FuseSession(fs, options);
        session.Attach(fd, mountPoint, new FuseNegotiated(old.Minor, old.Flags), old.Device);
        record.Write(recordPath);
        return new MountedFileSystem(mountPoint, fs, session, backend) { _record = record, _recordPath = recordPath };
    }

    /// <summary>Ends the holder recorded at <paramref name="recordPath"/> (a session nobody will take over) and removes the record.</summary>
    public static void ReleaseSession(string recordPath)
    {
        if (Hive.Files.SessionRecord.Read(recordPath) is { } record) SessionHolder.Stop(record);
        try { File.Delete(recordPath); } catch (IOException) { }
    }

    /// <summary>True when this mount serves a session taken over from an earlier server.</summary>
    public bool TakenOver => _record is { Epoch: > 0 };

    private SessionRecord? _record;
    private string? _recordPath;

    /// <summary>Applies new rules to every new operation and drops what the kernel cached under the old ones.</summary>
    public void UpdateAcls(IReadOnlyList<AclRule> acls) => _fs.UpdateAcls(AclMatcher.Compile(acls));

    /// <summary>Drops the kernel's cached view of <paramref name="sandboxPath"/> after a change made on the storage directly.</summary>
    public void Invalidate(string sandboxPath) => _fs.Invalidate(sandboxPath);

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _fs.Close();
        _session.Dispose();
        if (_record is not null)
        {
            SessionHolder.Stop(_record);
            try { File.Delete(_recordPath!); } catch (IOException) { }
        }
        _backend.Dispose();
    }
}
