namespace Hive.Files.ObjectStores;

/// <summary>How an object-store mount behaves on this host.</summary>
public sealed record ObjectStoreOptions
{
    /// <summary>Object name prefix inside the bucket (no leading or trailing '/'), or null for the whole bucket.</summary>
    public string? Prefix { get; init; }

    /// <summary>Where this mount's cache and upload journal live (stable across restarts: the journal is resumed from it).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Most bytes of clean copies kept in the cache (open and unuploaded files are kept whatever their size).</summary>
    public long CacheLimit { get; init; } = 1L << 30;

    /// <summary>Longest any one call on the store may take before the operation fails with EIO.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stat or listing answer is reused (the kernel's attribute timeout is 1 s too).</summary>
    public TimeSpan MetadataTtl { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often uploads that failed (store away) are tried again.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Owner of every file and directory (objects keep no owner): the sandbox's user.</summary>
    public uint Uid { get; init; } = 1000;
    public uint Gid { get; init; } = 1000;

    /// <summary>Diagnostics for the daemon's log (never a credential).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// An upload that failed for good or was refused as a conflict: the in-mount path (relative to the mount), the errno
    /// and what happened. The host turns it into an fs.response event with that error.
    /// </summary>
    public Action<string, int, string>? Notice { get; init; }
}
