using System.Runtime.InteropServices;

namespace Hive.Runtime.Host;

/// <summary>The few libc calls the runtime needs; everything else goes through runc, ip and nft.</summary>
internal static partial class Libc
{
    public const int MNT_DETACH = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string fsType, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out RLimit limit);

    private const int RLIMIT_NOFILE = 7;
    private record struct RLimit(ulong Soft, ulong Hard);

    /// <summary>This process's hard limit on open files (what a child of ours can be given at most).</summary>
    public static ulong OpenFilesHardLimit() => GetRlimit(RLIMIT_NOFILE, out var l) == 0 ? l.Hard : 1024;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    public const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_PATH = 0x200000, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
    public const int EINTR = 4, EAGAIN = 11;

    /// <summary>A descriptor that names a directory without opening it for reading (O_PATH).</summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenPath(string directory)
    {
        var fd = Open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) throw new IOException($"open {directory}: {LastError()}");
        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    public static string LastError() => Marshal.GetLastPInvokeErrorMessage();
}
