using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Hive.SafePaths;

/// <summary>
/// A directory that paths are resolved in and never out of, whatever symlinks, '..' or mount points someone else
/// (an agent, an image) put below it: every lookup is one openat2(2) from a descriptor of the directory. The one
/// safe-path primitive of the code base; nothing else opens a path below a directory that the daemon does not
/// fully control.
/// </summary>
/// <remarks>
/// Two scopes. <see cref="Storage"/> treats symlinks as data: none is followed, anywhere (a volume, an origin
/// directory). <see cref="Image"/> resolves symlinks as the container itself would, with the directory as '/'
/// (an image's or a container's root file system). Races are the kernel's problem: openat2 checks the whole walk.
/// </remarks>
public sealed unsafe partial class InRoot : IDisposable
{
    private const int O_RDONLY = 0, O_NOCTTY = 0x100, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    private const int AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000;

    /// <summary>Symlinks are data: none is followed, no path leaves the directory, no magic link.</summary>
    public const Resolve Storage = Resolve.Beneath | Resolve.NoSymlinks | Resolve.NoMagicLinks;

    /// <summary>The directory is '/': absolute symlinks and '..' stay inside it; no magic link, no other mount.</summary>
    public const Resolve Image = Resolve.InRoot | Resolve.NoMagicLinks | Resolve.NoXdev;

    private readonly SafeFileHandle _root;

    private InRoot(string path, SafeFileHandle root, Resolve scope)
    {
        Path = path;
        _root = root;
        Scope = scope;
    }

    /// <summary>The directory's own path; the caller vouches for it (a directory of the daemon's).</summary>
    public string Path { get; }

    public Resolve Scope { get; }

    /// <summary>Opens the directory; <paramref name="path"/> itself is trusted and resolved normally.</summary>
    public static InRoot Open(string path, Resolve scope)
    {
        var fd = OpenPlain(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) throw Fail(path, "", Marshal.GetLastPInvokeError());
        return new InRoot(path, new SafeFileHandle(fd, ownsHandle: true), scope);
    }

    /// <summary>Opens <paramref name="relative"/> ('/'-separated; a leading '/' means the directory) or returns the errno.</summary>
    public int TryOpen(string relative, int flags, uint mode, out SafeFileHandle handle)
    {
        var fd = Openat2.Open(RootFd, Relative(relative), flags | O_CLOEXEC, mode, Scope);
        handle = new SafeFileHandle(fd < 0 ? -1 : fd, ownsHandle: fd >= 0);
        return fd < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    public SafeFileHandle Open(string relative, int flags, uint mode = 0)
    {
        var e = TryOpen(relative, flags, mode, out var handle);
        return e == 0 ? handle : throw Fail(Path, relative, e);
    }

    /// <summary>An O_PATH descriptor of the directory at <paramref name="relative"/>.</summary>
    public SafeFileHandle OpenDirectory(string relative) => Open(relative, O_PATH | O_DIRECTORY);

    /// <summary>
    /// Makes every missing directory of <paramref name="segments"/> (mkdir -p) and returns the last one (O_PATH).
    /// <paramref name="created"/> hears of each directory made, with its parent, e.g. to give it an owner.
    /// </summary>
    public SafeFileHandle CreateDirectories(IReadOnlyList<string> segments, uint mode, Action<SafeFileHandle, string>? created = null)
    {
        var dir = OpenDirectory(".");
        for (var i = 0; i < segments.Count; i++)
        {
            var name = segments[i];
            if (name is "" or "." or ".." || name.Contains('/')) throw new InRootException(Path, string.Join('/', segments), Errno.EINVAL, $"'{name}' is not a file name");
            using (dir)
            {
                if (Mkdirat(dir, name, mode) == 0) created?.Invoke(dir, name);
                else if (Marshal.GetLastPInvokeError() is var e && e != Errno.EEXIST) throw Fail(Path, string.Join('/', segments.Take(i + 1)), e);
            }
            // From the root again, not from the parent: a symlink resolved in the Image scope must start at the root.
            dir = OpenDirectory(string.Join('/', segments.Take(i + 1)));
        }
        return dir;
    }

    /// <summary>
    /// The content of a regular file, or null when nothing is there. Anything else (a FIFO, a device, a directory,
    /// a file over <paramref name="maxBytes"/>) is an error: it is never opened for reading.
    /// </summary>
    public string? ReadAllText(string relative, int maxBytes)
    {
        var e = TryOpen(relative, O_PATH, 0, out var pinned);
        if (e == Errno.ENOENT) return null;
        if (e != 0) throw Fail(Path, relative, e);
        using (pinned)
        {
            var (kind, size) = Stat(pinned, relative);
            if (kind != S_IFREG) throw new InRootException(Path, relative, 0, $"{Describe(relative)} is not a regular file");
            if (size > maxBytes) throw new InRootException(Path, relative, 0, $"{Describe(relative)} is larger than {maxBytes} bytes");
            // Reopened through the pinned descriptor: the same inode the checks saw.
            var fd = OpenPlain($"/proc/self/fd/{pinned.DangerousGetHandle()}", O_RDONLY | O_NOCTTY | O_CLOEXEC, 0);
            if (fd < 0) throw Fail(Path, relative, Marshal.GetLastPInvokeError());
            using var file = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
            var buffer = new byte[maxBytes + 1];
            var total = 0;
            for (int n; total < buffer.Length && (n = file.Read(buffer, total, buffer.Length - total)) > 0;) total += n;
            if (total > maxBytes) throw new InRootException(Path, relative, 0, $"{Describe(relative)} is larger than {maxBytes} bytes");
            return Encoding.UTF8.GetString(buffer, 0, total);
        }
    }

    /// <summary>True when <paramref name="relative"/> resolves (inside) to a directory.</summary>
    public bool IsDirectory(string relative)
    {
        if (TryOpen(relative, O_PATH, 0, out var h) != 0) return false;
        using (h) return Stat(h, relative).Kind == S_IFDIR;
    }

    public void Dispose() => _root.Dispose();

    private int RootFd => (int)_root.DangerousGetHandle();

    private static string Relative(string relative)
    {
        var r = relative.TrimStart('/');
        return r.Length == 0 ? "." : r;
    }

    private string Describe(string relative) => $"{relative} (in {Path})";

    private (uint Kind, long Size) Stat(SafeFileHandle fd, string relative)
    {
        const uint STATX_TYPE = 1, STATX_SIZE = 0x200;
        var buffer = stackalloc byte[256];
        if (Statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, buffer) != 0) throw Fail(Path, relative, Marshal.GetLastPInvokeError());
        // struct statx: stx_mode is a u16 at offset 28, stx_size a u64 at offset 40 (the same on every architecture).
        return (*(ushort*)(buffer + 28) & S_IFMT, *(long*)(buffer + 40));
    }

    private static InRootException Fail(string root, string relative, int errno)
    {
        var what = relative.Length == 0 ? root : $"{relative} (in {root})";
        var why = errno switch
        {
            Errno.ENOENT => "does not exist",
            Errno.ELOOP => "is, or goes through, a symlink that may not be followed here (or too many of them)",
            Errno.EXDEV => "leads outside its directory (an absolute path, '..', a symlink or another mount)",
            Errno.ENOTDIR => "goes through something that is not a directory",
            Errno.ENOSYS => "cannot be resolved safely: this kernel has no openat2 (Linux 5.6 or later is needed)",
            _ => Marshal.GetPInvokeErrorMessage(errno),
        };
        return new InRootException(root, relative, errno, $"{what} {why}");
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenPlain(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mkdirat(SafeFileHandle dirfd, string path, uint mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(SafeFileHandle dirfd, string path, int flags, uint mask, byte* buffer);
}

/// <summary>A path below an <see cref="InRoot"/> directory that could not be used; <see cref="Errno"/> is 0 for a refusal of ours.</summary>
public sealed class InRootException(string root, string relative, int errno, string message) : IOException(message)
{
    public string Root { get; } = root;
    public string Relative { get; } = relative;
    public int Errno { get; } = errno;
}
