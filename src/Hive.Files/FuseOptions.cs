namespace Hive.Files;

/// <summary>How a FUSE session is mounted and served.</summary>
public sealed record FuseOptions
{
    /// <summary>Worker threads, each blocking in read(2) on its own cloned /dev/fuse descriptor.</summary>
    public int Threads { get; init; } = Math.Clamp(Environment.ProcessorCount, 2, 8);

    /// <summary>Largest WRITE the kernel sends (and READ it asks for): 1 MiB.</summary>
    public int MaxWrite { get; init; } = 1 << 20;

    /// <summary>How long the kernel may cache names and attributes. Short, so ACL changes and other writers show soon.</summary>
    public TimeSpan EntryTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc cref="EntryTimeout"/>
    public TimeSpan AttrTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// True when every change to the storage passes through this process: its FUSE mounts and the owner's files API,
    /// which tells the mounts (a named local volume; not a host directory or a bucket others may write to). While such
    /// a mount is the only one of its storage, the kernel caches names and attributes for <see cref="ExclusiveTimeout"/>
    /// instead: nothing can change behind its back, and what changes through the process is pushed to the kernel
    /// (ACL changes, the files API). When a second mount of the storage appears, the first drops what it cached and
    /// both use the short timeouts, so each sees the other's writes after <see cref="AttrTimeout"/>.
    /// </summary>
    public bool ExclusiveStorage { get; init; }

    /// <summary>How long the kernel may cache names and attributes of an <see cref="ExclusiveStorage"/> mount while it is alone.</summary>
    public TimeSpan ExclusiveTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Use FUSE passthrough (kernel 6.9+) for regular files when the backend offers a file descriptor: reads, writes
    /// and mmap go straight to the backing file. The ACL is still decided at every open; the audit record of such a
    /// handle carries no byte counts, because the data never passes through this process.
    /// </summary>
    public bool Passthrough { get; init; } = true;

    /// <summary>
    /// Serve over io_uring (FUSE_OVER_IO_URING, kernel 6.14+) when the kernel offers it at INIT, which it does only while
    /// the fuse module's <c>enable_uring</c> parameter is on; otherwise, or when the rings cannot be set up, requests
    /// are read from /dev/fuse as before.
    /// </summary>
    public bool IoUring { get; init; }

    /// <summary>Ring entries (each a thread with its own buffers) per kernel queue; the kernel has one queue per possible CPU.</summary>
    public int IoUringQueueDepth { get; init; } = 2;

    /// <summary>The file system name shown in /proc/mounts (the mount source).</summary>
    public string FsName { get; init; } = "hive";

    /// <summary>The subtype: the mount shows as <c>fuse.&lt;subtype&gt;</c>.</summary>
    public string Subtype { get; init; } = "hive";

    /// <summary>
    /// Where to record a kept session, or null. When set, a holder process keeps the mount's /dev/fuse session alive if
    /// this process dies, and a later <see cref="MountedFileSystem.Mount"/> at the same mount point with the same record
    /// takes the session over instead of mounting afresh, so processes working in the mount meanwhile carry on.
    /// </summary>
    public string? SessionRecord { get; init; }

    /// <summary>Diagnostics (never on a hot path): request loop errors, INIT results.</summary>
    public Action<string>? Log { get; init; }
}
