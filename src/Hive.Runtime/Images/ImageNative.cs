using System.Runtime.InteropServices;

namespace Hive.Runtime.Images;

/// <summary>The few libc calls the image store needs that .NET does not expose.</summary>
internal static partial class ImageNative
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;
    private const int MntDetach = 2;
    private const int ORdOnly = 0, ODirectory = 0x10000, OCloexec = 0x80000;
    private const int EInval = 22, ENoSys = 38;

    public static void Chown(string path, int uid, int gid)
    {
        if (lchown(path, (uint)uid, (uint)gid) != 0) throw Error("lchown", path);
    }

    /// <summary>Creates a hard link; like linkat without AT_SYMLINK_FOLLOW, a symlink at <paramref name="existing"/> is linked, not followed.</summary>
    public static void HardLink(string existing, string newPath)
    {
        if (link(existing, newPath) != 0) throw Error("link", $"{existing} -> {newPath}");
    }

    /// <summary>Atomically swaps two directories (renameat2 RENAME_EXCHANGE). False if the file system does not support it.</summary>
    public static bool TryExchange(string a, string b)
    {
        if (renameat2(AtFdCwd, a, AtFdCwd, b, RenameExchange) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is EInval or ENoSys) return false;
        throw Error("renameat2", $"{a} <-> {b}", errno);
    }

    /// <summary>Lazily unmounts <paramref name="target"/>; false if it was not a mount point.</summary>
    public static bool TryUnmountDetached(string target)
    {
        if (umount2(target, MntDetach) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EInval) return false;
        throw Error("umount2", target, errno);
    }

    /// <summary>Flushes the file system holding <paramref name="directory"/> to disk.</summary>
    public static void SyncFileSystem(string directory)
    {
        var fd = open(directory, ORdOnly | ODirectory | OCloexec);
        if (fd < 0) throw Error("open", directory);
        try
        {
            if (syncfs(fd) != 0) throw Error("syncfs", directory);
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>The canonical path (symlinks resolved), as the kernel shows mount points in mountinfo.</summary>
    public static string RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) throw Error("realpath", path);
        try
        {
            return Marshal.PtrToStringUTF8(resolved) ?? path;
        }
        finally
        {
            free(resolved);
        }
    }

    private static IOException Error(string call, string path, int? errno = null)
    {
        var e = errno ?? Marshal.GetLastPInvokeError();
        return new IOException($"{call}({path}) failed: {Marshal.GetPInvokeErrorMessage(e)} (errno {e})");
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int syncfs(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr ptr);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
