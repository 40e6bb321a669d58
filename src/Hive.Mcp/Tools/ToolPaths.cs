namespace Hive.Mcp.Tools;

/// <summary>Resolves a tool's path argument: absolute as given, relative to the session's working directory, ~ to HOME.</summary>
public static class ToolPaths
{
    public static string Resolve(string? path, string cwd, string argument = "path")
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ToolException($"{argument} is required");
        if (path.Contains('\0')) throw new ToolException($"{argument} contains a NUL character");
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            var home = Environment.GetEnvironmentVariable("HOME") ?? "/";
            path = home + path[1..];
        }
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(cwd, path));
    }

    /// <summary>True when the first bytes of a file look binary (a NUL byte, as grep and git decide).</summary>
    public static bool LooksBinary(ReadOnlySpan<byte> head) => head.IndexOf((byte)0) >= 0;

    public static bool LooksBinary(string path)
    {
        Span<byte> buffer = stackalloc byte[8192];
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var n = f.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return LooksBinary(buffer[..n]);
    }
}
