namespace Hive.Runtime.Host;

/// <summary>Mount-table queries and the overlay root of a sandbox.</summary>
public static class Mounts
{
    public static bool IsMountPoint(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 1 && Unescape(fields[1]) == full) return true;
        }
        return false;
    }

    /// <summary>Every mount point at or below <paramref name="prefix"/>, deepest first (the order to unmount them).</summary>
    public static IReadOnlyList<string> Under(string prefix)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(prefix));
        var found = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 2) continue;
            var target = Unescape(fields[1]);
            if (target == root || target.StartsWith(root + "/", StringComparison.Ordinal)) found.Add(target);
        }
        found.Sort((a, b) => b.Length.CompareTo(a.Length));
        return found;
    }

    public static void MountOverlay(string lower, string upper, string work, string target)
    {
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(target);
        // index=off: the upper dir may later sit below a different lower (image rebuilt); xino off keeps inode numbers stable enough for tools.
        var data = $"lowerdir={lower},upperdir={upper},workdir={work},index=off";
        if (Libc.Mount("overlay", target, "overlay", 0, data) != 0)
            throw new IOException($"mount overlay on {target} failed: {Libc.LastError()}");
    }

    /// <summary>
    /// Makes <paramref name="dir"/> a shared mount point (bound onto itself). A container that binds it
    /// with rslave then receives every later mount on it, e.g. a FUSE file system mounted again after a crash.
    /// </summary>
    public static void MakeSharedAnchor(string dir)
    {
        const ulong MS_BIND = 4096, MS_SHARED = 1 << 20;
        // Already an anchor (maybe with a dead FUSE mount of a crashed daemon stacked on it, which answers
        // ENOTCONN to any stat): leave it as it is; the FUSE mount on top is replaced by its owner.
        if (IsMountPoint(dir)) return;
        // Root only: nothing of the agent's may ever land below the file system mounted on top.
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Libc.Mount(dir, dir, "none", MS_BIND, null) != 0)
            throw new IOException($"bind mount of {dir} failed: {Libc.LastError()}");
        if (Libc.Mount("none", dir, "none", MS_SHARED, null) != 0)
            throw new IOException($"making {dir} shared failed: {Libc.LastError()}");
    }

    public static void Unmount(string target)
    {
        if (Libc.Umount2(target, Libc.MNT_DETACH) != 0 && IsMountPoint(target))
            throw new IOException($"umount {target} failed: {Libc.LastError()}");
    }

    /// <summary>Unmounts everything at or below <paramref name="prefix"/>; used by cleanup and reconcile.</summary>
    public static void UnmountAll(string prefix)
    {
        foreach (var m in Under(prefix)) Libc.Umount2(m, Libc.MNT_DETACH);
    }

    // /proc/self/mounts escapes space, tab, newline and backslash as octal.
    private static string Unescape(string s) => !s.Contains('\\') ? s
        : System.Text.RegularExpressions.Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
