using Hive.Runtime.Images;

namespace Hive.Runtime.Host;

/// <summary>
/// The default MCP server (<c>hive-mcp</c>, Native AOT) of hive/base sandboxes. The daemon bind-mounts the binary
/// from next to itself, read-only, and the sandbox's init starts it as the image's user (the agent): the cached
/// image stays as debootstrap built it, and a new daemon brings its own server to old images.
/// </summary>
public sealed class DefaultMcpServer(string? binary)
{
    public const string SandboxPath = "/opt/hive/bin/hive-mcp";
    public const int Port = 8080;
    public const string BinaryVariable = "HIVE_MCP_BINARY";

    /// <summary>The host path of the binary, or null when there is none (then sandboxes start without it).</summary>
    public string? Binary { get; } = binary is not null && File.Exists(binary) ? Path.GetFullPath(binary) : null;

    /// <summary><c>$HIVE_MCP_BINARY</c>, else <c>hive-mcp</c> next to the running executable (where make build puts it).</summary>
    public static DefaultMcpServer Locate() =>
        new(Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } path ? path : Path.Combine(AppContext.BaseDirectory, "hive-mcp"));

    public bool AppliesTo(ImageInfo image) => Binary is not null && image.Name == ImageNames.Base;

    /// <summary>
    /// The image as the sandbox starts it and the mount that brings the server in. The image's entrypoint (tini)
    /// runs a small supervisor: the server, restarted with backoff if it exits, beside the usual sleeper. An image whose libc
    /// cannot run the binary (a look-alike without glibc) starts as before, without the server.
    /// </summary>
    public (ImageInfo Image, MountPlan Mount) Apply(ImageInfo image)
    {
        if (Binary is null) throw new InvalidOperationException("no hive-mcp binary to mount");
        var cwd = string.IsNullOrEmpty(image.WorkingDir) ? "/" : image.WorkingDir;
        var script =
            "trap 'exit 0' TERM INT\n" +
            $"if {SandboxPath} --version >/dev/null 2>&1; then\n" +
            // Restarted when it exits, after 1 s, doubling to 32 s while it keeps failing (e.g. the agent took the port).
            $"  (d=1; while :; do {SandboxPath} --listen 0.0.0.0:{Port} --cwd {Quote(cwd)}; sleep $d; [ $d -lt 32 ] && d=$((d * 2)); done) &\n" +
            "fi\n" +
            "while :; do sleep 3600 & wait $!; done";
        return (image with { Cmd = ["/bin/sh", "-c", script] }, new MountPlan(SandboxPath, Binary, ReadOnly: true));
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
