namespace Hive.Host.Abstractions;

/// <summary>Absolute paths inside a sandbox, as the files API receives them.</summary>
public static class SandboxPath
{
    /// <summary>Splits a path into segments; refuses dot-segments and NULs rather than resolving them.</summary>
    public static IReadOnlyList<string> Split(string path)
    {
        var segments = new List<string>();
        foreach (var s in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (s is "." or ".." || s.Contains('\0'))
                throw new HostException(HostErrorKind.Invalid, "Bad request", $"path \"{path}\": '.' and '..' segments are not allowed; give the absolute path inside the sandbox");
            segments.Add(s);
        }
        return segments;
    }
}
