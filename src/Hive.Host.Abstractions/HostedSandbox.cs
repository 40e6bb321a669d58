using Hive.Core.Config;

namespace Hive.Host.Abstractions;

/// <summary>
/// A sandbox as a host needs to know it: its name and its normalised config. Where it lives on the host (network slot,
/// directories) is the host's own business and never crosses the seam.
/// </summary>
public sealed record HostedSandbox(string Name, SandboxConfig Config);
