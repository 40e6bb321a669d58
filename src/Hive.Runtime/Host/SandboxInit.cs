using Hive.Runtime.Oci;

namespace Hive.Runtime.Host;

/// <summary>
/// <c>hive-init</c> (src/Hive.Init), the sandbox's PID 1: it runs the image's entrypoint as the image's user and
/// starts the daemon's exec requests, which arrive on a socket in a root-only directory bound from the host.
/// The daemon brings the binary (read-only, from next to itself) to every image, as it does hive-mcp.
/// </summary>
public sealed class SandboxInit(string? binary)
{
    public const string SandboxPath = "/opt/hive/bin/hive-init";
    public const string ControlDir = "/run/hive-init";
    public const string SocketName = "ctl.sock";
    public const string BinaryVariable = "HIVE_INIT_BINARY";

    /// <summary>
    /// What the init keeps, and only to start commands as the agent (uid, gid), drop the bounding set before
    /// they run (setpcap) and kill them on timeout (kill). Every command it starts has none.
    /// </summary>
    public static readonly IReadOnlyList<string> Capabilities = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL"];

    /// <summary>The host path of the binary, or null when there is none (sandboxes then start their image's entrypoint directly).</summary>
    public string? Binary { get; } = binary is not null && File.Exists(binary) ? Path.GetFullPath(binary) : null;

    /// <summary><c>$HIVE_INIT_BINARY</c>, else <c>hive-init</c> next to the running executable (where make build puts it).</summary>
    public static SandboxInit Locate() =>
        new(Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } path ? path : Path.Combine(AppContext.BaseDirectory, "hive-init"));

    /// <summary>The container's process becomes hive-init (root, with <see cref="Capabilities"/>), which runs the image's as the image's user.</summary>
    public ContainerSpec Wrap(ContainerSpec spec, string hostControlDir)
    {
        if (Binary is null) throw new InvalidOperationException("no hive-init binary");
        return spec with
        {
            Uid = 0,
            Gid = 0,
            Capabilities = Capabilities,
            Args = [SandboxPath, "--socket", $"{ControlDir}/{SocketName}", "--uid", spec.Uid.ToString(), "--gid", spec.Gid.ToString(), "--", .. spec.Args],
            Binds = [.. spec.Binds, new BindMount(Binary, SandboxPath, ReadOnly: true), new BindMount(hostControlDir, ControlDir, ReadOnly: false)],
        };
    }
}
