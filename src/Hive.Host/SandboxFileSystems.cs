using System.Collections.Concurrent;
using Hive.Core.Config;
using Hive.Files;
using Hive.Files.Backends;
using Hive.Runtime.Host;

namespace Hive.Host;

/// <summary>
/// The mediating FUSE file systems of every sandbox: one per mount, on an anchor directory that is
/// bound into the container with slave propagation, so mounting again after a daemon crash reaches
/// the running container.
/// </summary>
public sealed class SandboxFileSystems(HostPaths paths, FsEventPump audit, bool ioUring = false)
{
    private readonly ConcurrentDictionary<string, List<Mounted>> _mounted = new(StringComparer.Ordinal);

    /// <summary>One mounted file system and the host directory that holds its data.</summary>
    private sealed record Mounted(MountedFileSystem Fs, string Storage);

    /// <summary>The anchors to bind into the container (created and made shared once).</summary>
    public IReadOnlyList<MountPlan> Anchors(string sandbox, SandboxConfig config)
    {
        var plans = new List<MountPlan>();
        for (var i = 0; i < config.Fs.Count; i++)
        {
            if (config.Fs[i].Backend != FsBackend.Local) continue;
            var anchor = Anchor(sandbox, i);
            Mounts.MakeSharedAnchor(anchor);
            plans.Add(new MountPlan(config.Fs[i].Mount, anchor, ReadOnly: false));
        }
        return plans;
    }

    /// <summary>Mounts (or mounts again, after a crash) the file system of every local mount on its anchor.</summary>
    public void Mount(string sandbox, SandboxConfig config, Func<FsMount, string> storage)
    {
        Unmount(sandbox, keepAnchors: true);
        var mounted = new List<Mounted>();
        try
        {
            for (var i = 0; i < config.Fs.Count; i++)
            {
                var m = config.Fs[i];
                if (m.Backend != FsBackend.Local) continue;
                var dir = Path.GetFullPath(storage(m));
                var options = new FuseOptions { SessionRecord = SessionRecord(sandbox, i), IoUring = ioUring };
                mounted.Add(new Mounted(MountedFileSystem.Mount(Anchor(sandbox, i), m.Mount, new LocalBackend(dir), m.Acls, audit.For(sandbox), options), dir));
            }
        }
        catch
        {
            foreach (var x in mounted) x.Fs.Dispose();
            throw;
        }
        _mounted[sandbox] = mounted;
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
        foreach (var (fs, _) in mounted)
            if (config.Fs.FirstOrDefault(m => m.Mount == fs.SandboxPath) is { } m && !m.Acls.SequenceEqual(fs.Acls))
                fs.UpdateAcls(m.Acls);
    }

    /// <summary>
    /// A file under <paramref name="storage"/> changed outside FUSE (the files API): every sandbox that mounts that
    /// storage (a shared volume may be mounted by several) drops its kernel's cached view of the file.
    /// </summary>
    public void Invalidate(string storage, IReadOnlyList<string> segments)
    {
        storage = Path.GetFullPath(storage);
        foreach (var mounted in _mounted.Values)
            foreach (var (fs, dir) in mounted)
                if (dir == storage) fs.Invalidate(fs.SandboxPath + "/" + string.Join('/', segments));
    }

    /// <summary>Unmounts the sandbox's file systems (after its container is gone) and, unless kept, their anchors.</summary>
    public void Unmount(string sandbox, bool keepAnchors = false)
    {
        if (_mounted.TryRemove(sandbox, out var mounted))
            foreach (var x in mounted) x.Fs.Dispose();
        if (!keepAnchors) Mounts.UnmountAll(paths.MountAnchors(sandbox));
    }
}
