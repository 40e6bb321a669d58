using System.Runtime.InteropServices;

namespace Hive.SafePaths;

/// <summary>How openat2(2) may resolve a path (the <c>RESOLVE_*</c> flags of <c>struct open_how</c>).</summary>
[Flags]
public enum Resolve : ulong
{
    None = 0,
    /// <summary>Never cross a mount point.</summary>
    NoXdev = 0x01,
    /// <summary>Never follow /proc magic links (/proc/self/fd/N, /proc/PID/root, ...).</summary>
    NoMagicLinks = 0x02,
    /// <summary>Follow no symlink at all, on the way or at the end.</summary>
    NoSymlinks = 0x04,
    /// <summary>Fail (EXDEV) rather than leave the directory: no absolute path, no '..' above it, no symlink out of it.</summary>
    Beneath = 0x08,
    /// <summary>Resolve as if the directory were the root: '/' and '..' stop there, absolute symlinks start there (how the container sees its own files).</summary>
    InRoot = 0x10,
}

/// <summary>
/// The openat2(2) system call: the one place the code base resolves a path it does not fully control. glibc has no
/// wrapper, so it goes through syscall(2). Returns a descriptor, or -1 with errno set.
/// </summary>
public static unsafe partial class Openat2
{
    // x86-64 and arm64 share the number (openat2 arrived after the syscall tables were unified).
    private const long SysOpenat2 = 437;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <param name="path">A NUL-terminated path.</param>
    public static int Open(int dirfd, byte* path, int flags, uint mode, Resolve resolve)
    {
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = mode, Resolve = (ulong)resolve };
        int fd;
        // EAGAIN: a rename elsewhere in the file system raced the lookup (only with RESOLVE_IN_ROOT/BENEATH); try again.
        for (var attempt = 0; ; attempt++)
        {
            fd = (int)Syscall(SysOpenat2, dirfd, (long)path, (long)&how, sizeof(OpenHow));
            if (fd >= 0 || Marshal.GetLastPInvokeError() != Errno.EAGAIN || attempt == 16) return fd;
        }
    }

    public static int Open(int dirfd, string path, int flags, uint mode, Resolve resolve)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
            return Open(dirfd, p, flags, mode, resolve);
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c, long d);
}
