namespace Hive.Runtime.Oci;

/// <summary>A bind mount into the container.</summary>
public sealed record BindMount(string Source, string Destination, bool ReadOnly);

/// <summary>Everything the OCI config of one sandbox is generated from.</summary>
public sealed record ContainerSpec
{
    public required string Hostname { get; init; }
    public required string RootFs { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public required string Cwd { get; init; }
    public required int Uid { get; init; }
    public required int Gid { get; init; }
    public required string NetworkNamespacePath { get; init; }
    public required string CgroupsPath { get; init; }
    public required IReadOnlyList<BindMount> Binds { get; init; }
    public required double Cpus { get; init; }
    public required int MemoryMb { get; init; }
    public required int Pids { get; init; }
    /// <summary>Capabilities of the container's process (bounding, effective and permitted); none by default.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>The usual hard RLIMIT_NOFILE of Linux distributions.</summary>
    public const ulong DefaultOpenFilesHard = 524288;

    /// <summary>The hard RLIMIT_NOFILE; runc cannot raise it above the daemon's own (EPERM), so it is at most that.</summary>
    public ulong OpenFilesHard { get; init; } = DefaultOpenFilesHard;
}
