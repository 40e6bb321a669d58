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

    /// <summary>The rules in force.</summary>
    public IReadOnlyList<AclRule> Acls => _fs.Acl.Rules;

    /// <summary>
    /// Mounts <paramref name="backend"/> at <paramref name="mountPoint"/> (an existing host directory), as it appears at
    /// <paramref name="sandboxPath"/> in the sandbox. A stale Hive FUSE mount left there by a crashed daemon is
    /// removed first. Needs root and /dev/fuse. Takes ownership of <paramref name="backend"/> (disposed on failure too).
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
            // First: a dead mount there answers ENOTCONN to everything, including the existence check.
            FuseMount.RemoveStale(mountPoint, options.Subtype);
            if (!Directory.Exists(mountPoint)) throw new DirectoryNotFoundException($"mount point {mountPoint} does not exist");
            var fs = new MediatingFileSystem(sandboxPath.TrimEnd('/'), backend, AclMatcher.Compile(acls), audit, options);
            var session = new FuseSession(fs, options);
            session.Mount(mountPoint);
            return new MountedFileSystem(mountPoint, fs, session, backend);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>Applies new rules to every new operation and drops what the kernel cached under the old ones.</summary>
    public void UpdateAcls(IReadOnlyList<AclRule> acls) => _fs.UpdateAcls(AclMatcher.Compile(acls));

    /// <summary>Drops the kernel's cached view of <paramref name="sandboxPath"/> after a change made on the storage directly.</summary>
    public void Invalidate(string sandboxPath) => _fs.Invalidate(sandboxPath);

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _session.Dispose();
        _backend.Dispose();
    }
}
