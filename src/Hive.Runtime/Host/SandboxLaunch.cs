using Hive.Runtime.Images;

namespace Hive.Runtime.Host;

/// <summary>A host directory that appears at <see cref="Destination"/> inside the sandbox.</summary>
public sealed record MountPlan(string Destination, string Source, bool ReadOnly);

/// <summary>A file the daemon gives the sandbox, bound read-only at <see cref="Path"/>: its content, given the image's own copy (or null).</summary>
public sealed record RootFile(string Path, Func<string?, string> Content);

/// <summary>What the runtime needs to start one sandbox; resolved by the controller from its config.</summary>
public sealed record SandboxLaunch(
    string Name,
    int Slot,
    ImageInfo Image,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<MountPlan> Mounts,
    double Cpus,
    int MemoryMb,
    int Pids,
    IReadOnlyList<RootFile> Files);
