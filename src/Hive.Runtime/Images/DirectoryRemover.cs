namespace Hive.Runtime.Images;

/// <summary>
/// Deletes a build directory safely. debootstrap mounts /proc, /sys and sometimes bind-mounts /dev nodes into its
/// target; when it is killed those mounts stay. A recursive delete must never walk into them.
/// </summary>
internal static class DirectoryRemover
{
    public static void Delete(string path)
    {
        path = Path.GetFullPath(path).TrimEnd('/');
        if (!Directory.Exists(path)) return;
        // mountinfo shows resolved paths: with a symlink in the way, a mount below us would go unnoticed.
        path = ImageNative.RealPath(path);

        var mounts = MountsUnder(path);
        // Deepest first, so nested mounts go before their parents.
        mounts.Sort((a, b) => b.Length.CompareTo(a.Length));
        foreach (var mount in mounts) ImageNative.TryUnmountDetached(mount);

        var left = MountsUnder(path);
        if (left.Count > 0)
        {
            throw new IOException($"Refusing to delete {path}: still mounted below it: {string.Join(", ", left)}");
        }
        Directory.Delete(path, recursive: true);
    }

    internal static List<string> MountsUnder(string path)
    {
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var mountPoint = ParseMountPoint(line);
            if (mountPoint is null) continue;
            if (mountPoint == path || mountPoint.StartsWith(path + "/", StringComparison.Ordinal)) result.Add(mountPoint);
        }
        return result;
    }

    /// <summary>The fifth field of a mountinfo line, with its octal escapes (\040 for space) decoded.</summary>
    internal static string? ParseMountPoint(string line)
    {
        var fields = line.Split(' ');
        if (fields.Length < 5) return null;
        var raw = fields[4];
        if (!raw.Contains('\\')) return raw;
        var sb = new System.Text.StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 3 < raw.Length
                && IsOctal(raw[i + 1]) && IsOctal(raw[i + 2]) && IsOctal(raw[i + 3]))
            {
                sb.Append((char)((raw[i + 1] - '0') * 64 + (raw[i + 2] - '0') * 8 + (raw[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(raw[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
