using System.Runtime.InteropServices;
using Hive.SafePaths;
using Microsoft.Win32.SafeHandles;

namespace Hive.Runtime.Host;

/// <summary>An entry of a directory listing.</summary>
public sealed record DirEntry(string Name, string Type, long Size, DateTimeOffset Mtime);

/// <summary>
/// File operations below a root directory that the sandbox can also write to. Every path is resolved by
/// <see cref="InRoot"/> in its <see cref="InRoot.Storage"/> scope (openat2, beneath the root, no symlink anywhere),
/// so an agent that swaps a directory for a symlink cannot make the daemon read or write outside the root.
/// Symlinks are refused, not followed.
/// </summary>
public sealed partial class SafeDirectory(string root)
{
    private const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_TRUNC = 0x200, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000;
    private const int AT_REMOVEDIR = 0x200, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
    private const int ENOENT = 2, ENOTDIR = 20, ELOOP = 40, EISDIR = 21, EEXIST = 17, ENOTEMPTY = 39, EXDEV = 18;

    public string Root { get; } = root;

    /// <summary>Opens a file for reading, or returns null and the listing when the path is a directory.</summary>
    public (FileStream? File, IReadOnlyList<DirEntry>? Listing) Read(IReadOnlyList<string> segments)
    {
        using var root = OpenRoot();
        var path = string.Join('/', segments);
        if (root.TryOpen(path, O_RDONLY | O_DIRECTORY, 0, out var dir) == 0)
        {
            using (dir) return (null, List(dir));
        }
        return (new FileStream(Check(root.TryOpen(path, O_RDONLY | O_NOFOLLOW, 0, out var fd), fd), FileAccess.Read), null);
    }

    public async Task WriteAsync(IReadOnlyList<string> segments, Stream content, int uid, int gid, CancellationToken ct)
    {
        if (segments.Count == 0) throw new FileOpsException(400, "cannot write to the mount's root directory");
        using var root = OpenRoot();
        using var parent = Parent(root, segments, create: true, uid, gid);
        var name = segments[^1];
        var existed = Fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) == 0;
        using var fd = Check(root.TryOpen(string.Join('/', segments), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, Convert.ToUInt32("644", 8), out var h), h);
        if (!existed) Fchownat(fd, "", uid, gid, AT_EMPTY_PATH);
        await using var file = new FileStream(fd, FileAccess.Write);
        await content.CopyToAsync(file, ct);
    }

    public void Delete(IReadOnlyList<string> segments)
    {
        if (segments.Count == 0) throw new FileOpsException(400, "cannot delete the mount's root directory");
        using var root = OpenRoot();
        using var parent = Parent(root, segments, create: false, 0, 0);
        if (Unlinkat(parent, segments[^1], 0) == 0) return;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EISDIR && Unlinkat(parent, segments[^1], AT_REMOVEDIR) == 0) return;
        errno = Marshal.GetLastPInvokeError() is var e2 && errno == EISDIR ? e2 : errno;
        throw errno switch
        {
            ENOENT => new FileOpsException(404, "no such file or directory"),
            ENOTEMPTY or EEXIST => new FileOpsException(409, "the directory is not empty"),
            _ => new FileOpsException(500, $"delete failed: {Marshal.GetPInvokeErrorMessage(errno)}"),
        };
    }

    /// <summary>The directory that holds the last segment; with <paramref name="create"/>, made (and given to the agent) as needed.</summary>
    private static SafeFileHandle Parent(InRoot root, IReadOnlyList<string> segments, bool create, int uid, int gid)
    {
        var parents = segments.Take(segments.Count - 1).ToList();
        if (!create) return Check(root.TryOpen(string.Join('/', parents), O_PATH | O_DIRECTORY, 0, out var h), h);
        try
        {
            return root.CreateDirectories(parents, Convert.ToUInt32("755", 8), (dir, name) => Fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW));
        }
        catch (InRootException e)
        {
            throw Map(e.Errno);
        }
    }

    private const int O_PATH = 0x200000;

    private InRoot OpenRoot()
    {
        try
        {
            return InRoot.Open(Root, InRoot.Storage);
        }
        catch (InRootException)
        {
            throw new FileOpsException(404, "the mount's storage does not exist yet");
        }
    }

    private static SafeFileHandle Check(int errno, SafeFileHandle handle) => errno == 0 ? handle : throw Map(errno);

    private static FileOpsException Map(int errno) => errno switch
    {
        ENOENT => new FileOpsException(404, "no such file or directory"),
        ENOTDIR or ELOOP or EXDEV => new FileOpsException(400, "a component of the path is a symlink or not a directory; the files API does not follow symlinks"),
        EISDIR => new FileOpsException(409, "the path is a directory"),
        _ => new FileOpsException(500, $"open failed: {Marshal.GetPInvokeErrorMessage(errno)}"),
    };

    // The directory is already opened safely; its /proc/self/fd link names exactly that directory.
    private static IReadOnlyList<DirEntry> List(SafeFileHandle dir)
    {
        var list = new List<DirEntry>();
        foreach (var info in new DirectoryInfo($"/proc/self/fd/{dir.DangerousGetHandle()}").EnumerateFileSystemInfos())
        {
            var type = info.LinkTarget is not null ? "symlink" : info is DirectoryInfo ? "dir" : "file";
            list.Add(new DirEntry(info.Name, type, info is FileInfo f && type == "file" ? f.Length : 0, info.LastWriteTimeUtc));
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unlinkat(SafeFileHandle dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Fchownat(SafeFileHandle dirfd, string path, int uid, int gid, int flags);
}

/// <summary>A files-API failure with the HTTP status it maps to.</summary>
public sealed class FileOpsException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
