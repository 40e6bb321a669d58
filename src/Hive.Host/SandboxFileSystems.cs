using System.Collections.Concurrent;
using Hive.Core.Config;
using Hive.Files;
using Hive.Files.Audit;
using Hive.Files.Backends;
using Hive.Files.ObjectStores;
using Hive.Host.Abstractions;
using Hive.Runtime.Host;
using Microsoft.Extensions.Logging;

namespace Hive.Host;

/// <summary>
/// The mediating FUSE file systems of every sandbox: one per mount, on an anchor directory that is
/// bound into the container with slave propagation, so mounting again after a daemon crash reaches
/// the running container.
/// </summary>
public sealed class SandboxFileSystems(HostPaths paths, FsEventPump audit, bool ioUring = false, ILogger? log = null)
{
    private readonly ConcurrentDictionary<string, List<Mounted>> _mounted = new(StringComparer.Ordinal);

    /// <summary>
    /// One mounted file system and what holds its data: a host directory, or (an object-store mount) the store's
    /// description, with the backend that the files API shares with the mount.
    /// </summary>
    private sealed record Mounted(MountedFileSystem Fs, string Storage, ObjectStoreBackend? Store = null);

    /// <summary>The anchors to bind into the container (created and made shared once).</summary>
    public IReadOnlyList<MountPlan> Anchors(string sandbox, SandboxConfig config)
    {
        var plans = new List<MountPlan>();
        for (var i = 0; i < config.Fs.Count; i++)
        {
            var anchor = Anchor(sandbox, i);
            Mounts.MakeSharedAnchor(anchor);
            plans.Add(new MountPlan(config.Fs[i].Mount, anchor, ReadOnly: false));
        }
        return plans;
    }

    /// <summary>
    /// Mounts (or mounts again, after a crash) the file system of every mount on its anchor. An object-store mount first
    /// checks the store answers (<paramref name="credential"/> gives the value of the secret it names); on any failure
    /// nothing stays mounted.
    /// </summary>
    public void Mount(string sandbox, SandboxConfig config, Func<FsMount, string> storage, Func<string, string?>? credential = null)
    {
        Unmount(sandbox, keepAnchors: true);
        var mounted = new List<Mounted>();
        try
        {
            for (var i = 0; i < config.Fs.Count; i++)
            {
                var m = config.Fs[i];
                var options = new FuseOptions { SessionRecord = SessionRecord(sandbox, i), IoUring = ioUring };
                var sink = audit.For(sandbox);
                if (m.IsObjectStore)
                {
                    var backend = ObjectStoreBackend(sandbox, i, m, credential?.Invoke(m.Credentials!), sink);
                    mounted.Add(new Mounted(MountedFileSystem.Mount(Anchor(sandbox, i), m.Mount, backend, m.Acls, sink, options), backend.Description, backend));
                    continue;
                }
                var dir = Path.GetFullPath(storage(m));
                // A named volume is written only through this daemon (its mounts and the files API); an origin is a host
                // directory anyone on the host may change.
                options = options with { ExclusiveStorage = m.Origin is null };
                mounted.Add(new Mounted(MountedFileSystem.Mount(Anchor(sandbox, i), m.Mount, new LocalBackend(dir), m.Acls, sink, options), dir));
            }
        }
        catch
        {
            foreach (var x in mounted) x.Fs.Dispose();
            throw;
        }
        _mounted[sandbox] = mounted;
    }

    /// <summary>How long one call on an object store may take (the files API's deadline, HIVE_FILES_TIMEOUT_MS).</summary>
    public TimeSpan StoreTimeout { get; init; } = Hive.Files.Owner.FilesDeadline.FromEnvironment().Timeout;

    /// <summary>Most bytes each object-store mount keeps cached on this host (HIVE_OBJECT_CACHE_MB).</summary>
    public long CacheLimit { get; init; } = (long.TryParse(Environment.GetEnvironmentVariable("HIVE_OBJECT_CACHE_MB"), out var mb) && mb > 0 ? mb : 1024) << 20;

    /// <summary>The checks of <see cref="ObjectStoreFactory.Check"/> for every object-store mount of <paramref name="config"/>.</summary>
    public IReadOnlyList<Hive.Core.Config.ConfigError> CheckStores(SandboxConfig config, IReadOnlyDictionary<string, string> credentials)
    {
        var errors = new List<Hive.Core.Config.ConfigError>();
        for (var i = 0; i < config.Fs.Count; i++)
            if (config.Fs[i] is { IsObjectStore: true } m)
                errors.AddRange(ObjectStoreFactory.Check(m, i, credentials.GetValueOrDefault(m.Credentials!), StoreTimeout));
        return errors;
    }

    /// <summary>
    /// The backend of object-store mount <paramref name="index"/>: checked first, so a store that cannot be used refuses the
    /// start with the field and the store's answer. Its cache and upload journal live in
    /// <c>$HIVE_HOME/cache/objects/SANDBOX.INDEX</c>, where the next daemon resumes unfinished uploads. What the store
    /// answered goes to the daemon's log, without the credential or any URL's query (<see cref="StoreLogRedactor"/>).
    /// </summary>
    private ObjectStoreBackend ObjectStoreBackend(string sandbox, int index, FsMount m, string? credential, IFsAuditSink sink)
    {
        var problems = ObjectStoreFactory.Check(m, index, credential, StoreTimeout);
        if (problems.Count > 0)
            throw new HostException(HostErrorKind.Unprocessable, "Storage unavailable", string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}")), problems);
        var cache = Path.Combine(paths.Home, "cache", "objects", $"{sandbox}.{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        return new ObjectStoreBackend(ObjectStoreFactory.Create(m, credential!), new ObjectStoreOptions
        {
            Prefix = m.Prefix,
            CacheDirectory = cache,
            CacheLimit = CacheLimit,
            Timeout = StoreTimeout,
            Log = StoreLog(credential, sandbox, m.Mount),
            // Failed and conflicting uploads are fs.response events with their error, on the file's path.
            Notice = (path, error, detail) => sink.Record(new FsAuditRecord(m.Mount, m.Mount + "/" + path, FsOp.Write, true, 0, error, null, detail, 0, 0)),
        });
    }

    private Action<string>? StoreLog(string? credential, string sandbox, string mount)
    {
        if (log is not { } logger) return null;
        var redactor = new StoreLogRedactor(credential);
        return message => logger.LogWarning("sandbox {Sandbox} {Mount}: {Message}", sandbox, mount, redactor.Apply(message));
    }

    /// <summary>
    /// Where the holder of a mount's FUSE session is recorded: it keeps the session alive if the daemon dies, and the
    /// next daemon takes the session over, so processes working in the mount carry on (docs/architecture.md).
    /// </summary>
    private string SessionRecord(string sandbox, int index) =>
        Path.Combine(SessionRecords, $"{sandbox}.{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}.json");

    private string SessionRecords => Path.Combine(paths.Home, "run", "fuse");

    /// <summary>
    /// At startup: ends the session holders of sandboxes that no longer run (their container went while the daemon was
    /// down, or they are gone); the holders of running ones wait for <see cref="Mount"/> to take their sessions over.
    /// </summary>
    public void ReleaseSessions(IReadOnlySet<string> running)
    {
        if (!Directory.Exists(SessionRecords)) return;
        foreach (var file in Directory.GetFiles(SessionRecords, "*.json"))
        {
            var name = Path.GetFileName(file);
            var sandbox = name[..name.LastIndexOf('.', name.Length - ".json".Length - 1)];
            if (running.Contains(sandbox)) continue;
            MountedFileSystem.ReleaseSession(file);
        }
    }

    private string Anchor(string sandbox, int index) =>
        Path.Combine(paths.MountAnchors(sandbox), index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void UpdateAcls(string sandbox, SandboxConfig config)
    {
        if (!_mounted.TryGetValue(sandbox, out var mounted)) return;
        foreach (var (fs, _, _) in mounted)
            if (config.Fs.FirstOrDefault(m => m.Mount == fs.SandboxPath) is { } m && !m.Acls.SequenceEqual(fs.Acls))
                fs.UpdateAcls(m.Acls);
    }

    /// <summary>
    /// A file under <paramref name="storage"/> changed outside FUSE (the files API): every sandbox that mounts that
    /// storage (a shared volume may be mounted by several) drops its kernel's cached view of the file.
    /// </summary>
    public void Invalidate(string storage, IReadOnlyList<string> segments) => InvalidateStorage(Path.GetFullPath(storage), segments);

    private void InvalidateStorage(string storage, IReadOnlyList<string> segments)
    {
        foreach (var mounted in _mounted.Values)
            foreach (var (fs, dir, _) in mounted)
                if (dir == storage) fs.Invalidate(fs.SandboxPath + "/" + string.Join('/', segments));
    }

    /// <summary>
    /// The backend of the running sandbox's object-store mount at <paramref name="mount"/>, for the files API: the same
    /// cache, uploads and conflict checks as the agent's view; null when the sandbox is not mounted on this host.
    /// </summary>
    public ObjectStoreBackend? StoreBackend(string sandbox, string mount) =>
        _mounted.TryGetValue(sandbox, out var mounted) ? mounted.FirstOrDefault(x => x.Fs.SandboxPath == mount)?.Store : null;

    /// <summary>A file of an object store changed through the files API: every sandbox mounting that bucket and prefix drops its cached view.</summary>
    public void InvalidateStore(ObjectStoreBackend store, IReadOnlyList<string> segments) => InvalidateStorage(store.Description, segments);

    /// <summary>Unmounts the sandbox's file systems (after its container is gone) and, unless kept, their anchors.</summary>
    public void Unmount(string sandbox, bool keepAnchors = false)
    {
        if (_mounted.TryRemove(sandbox, out var mounted))
            foreach (var x in mounted) x.Fs.Dispose();
        if (!keepAnchors) Mounts.UnmountAll(paths.MountAnchors(sandbox));
    }
}
