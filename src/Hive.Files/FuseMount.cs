using System.Globalization;
using System.Text;
using Hive.Files.Native;

namespace Hive.Files;

/// <summary>
/// mount(2) and umount2(2) for a FUSE file system served from an open /dev/fuse descriptor, plus the clean-ups a
/// restarted daemon needs (a stale mount left by a crashed one) and the fusectl abort that ends a session whose
/// mount is still busy.
/// </summary>
public static class FuseMount
{
    public const string Device = "/dev/fuse";

    /// <summary>
    /// Mounts the connection behind <paramref name="fd"/> at <paramref name="mountPoint"/>: <c>allow_other</c> so the
    /// sandbox's uid may enter, <c>default_permissions</c> so the kernel checks mode bits and ownership against the
    /// caller (the backend runs as root; the ACL is enforced on top), nosuid and nodev.
    /// </summary>
    internal static void Mount(int fd, string mountPoint, FuseOptions options)
    {
        var data = string.Create(CultureInfo.InvariantCulture,
            $"fd={fd},rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions");
        var type = "fuse." + options.Subtype;
        if (Libc.Mount(options.FsName, mountPoint, type, Libc.MS_NOSUID | Libc.MS_NODEV, data) != 0)
        {
            var errno = Libc.Errno;
            throw new IOException($"mount {type} at {mountPoint} failed: {Errno.Name(errno)} ({errno})");
        }
    }

    /// <summary>Lazily unmounts <paramref name="mountPoint"/> (MNT_DETACH). Returns false when nothing was mounted there.</summary>
    public static bool Unmount(string mountPoint)
    {
        if (Libc.Umount2(mountPoint, Libc.MNT_DETACH) == 0) return true;
        var errno = Libc.Errno;
        if (errno is Errno.EINVAL or Errno.ENOENT) return false;
        throw new IOException($"umount {mountPoint} failed: {Errno.Name(errno)} ({errno})");
    }

    /// <summary>
    /// Removes FUSE mounts of <paramref name="subtype"/> stacked at exactly <paramref name="mountPoint"/>, such as the
    /// dead mount a crashed daemon leaves (every access answers ENOTCONN). Other mounts there (a bind mount that
    /// anchors propagation into containers) are left alone. Returns how many were removed.
    /// </summary>
    public static int RemoveStale(string mountPoint, string subtype = "hive")
    {
        var removed = 0;
        for (var i = 0; i < 16; i++)
        {
            if (!IsMounted(mountPoint, "fuse." + subtype)) return removed;
            if (Libc.Umount2(mountPoint, Libc.MNT_DETACH) != 0) return removed;
            removed++;
        }
        return removed;
    }

    /// <summary>True when the topmost mount at <paramref name="mountPoint"/> has file system type <paramref name="fsType"/>.</summary>
    public static bool IsMounted(string mountPoint, string fsType)
    {
        string? top = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            var fields = line.Split(' ');
            if (fields.Length < 10 || Unescape(fields[4]) != mountPoint) continue;
            var dash = Array.IndexOf(fields, "-");
            if (dash < 0 || dash + 1 >= fields.Length) continue;
            top = fields[dash + 1];
        }
        return top == fsType;
    }

    /// <summary>
    /// Aborts the FUSE connection of the mount whose device is <paramref name="device"/> through fusectl: every
    /// pending and future request fails and the serving threads see ENODEV. Mounts fusectl on a private temporary
    /// directory when the system has not mounted it, and removes it again.
    /// </summary>
    internal static bool Abort(ulong device)
    {
        const string standard = "/sys/fs/fuse/connections";
        var name = device.ToString(CultureInfo.InvariantCulture);
        if (TryAbort(Path.Combine(standard, name))) return true;
        var temp = Directory.CreateTempSubdirectory("hive-fusectl-").FullName;
        try
        {
            if (Libc.Mount("fusectl", temp, "fusectl", 0, null) != 0) return false;
            try
            {
                return TryAbort(Path.Combine(temp, name));
            }
            finally
            {
                Libc.Umount2(temp, Libc.MNT_DETACH);
            }
        }
        finally
        {
            try { Directory.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool TryAbort(string connection)
    {
        var abort = Path.Combine(connection, "abort");
        if (!File.Exists(abort)) return false;
        try
        {
            File.WriteAllText(abort, "1");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The kernel's dev_t (major &lt;&lt; 20 | minor) of the topmost mount at <paramref name="mountPoint"/>, as fusectl
    /// names connections; read from mountinfo so that no request reaches the file system. 0 when not mounted.
    /// </summary>
    internal static ulong KernelDevice(string mountPoint)
    {
        ulong device = 0;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5 || Unescape(fields[4]) != mountPoint) continue;
            var parts = fields[2].Split(':');
            if (parts.Length == 2
                && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
                && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
                device = (major << 20) | minor;
        }
        return device;
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
