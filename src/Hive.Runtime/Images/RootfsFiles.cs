using System.Runtime.Versioning;

namespace Hive.Runtime.Images;

/// <summary>Small helpers for laying out a root file system: explicit modes (never the umask), owners, sizes.</summary>
[SupportedOSPlatform("linux")]
internal static class RootfsFiles
{
    public const UnixFileMode Mode0755 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public const UnixFileMode Mode0644 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode Mode1777 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute |
        UnixFileMode.StickyBit;

    /// <summary>Resolves an absolute in-image path ("/etc/passwd") under <paramref name="rootfs"/>.</summary>
    public static string At(string rootfs, string imagePath) => Path.Combine(rootfs, imagePath.TrimStart('/'));

    public static void Dir(string rootfs, string imagePath, UnixFileMode mode = Mode0755, int uid = 0, int gid = 0)
    {
        var path = At(rootfs, imagePath);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, mode);
        ImageNative.Chown(path, uid, gid);
    }

    public static void Text(string rootfs, string imagePath, string content, UnixFileMode mode = Mode0644, int uid = 0, int gid = 0)
    {
        var path = At(rootfs, imagePath);
        if (File.Exists(path) || Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is not null)
        {
            File.Delete(path); // never write through a symlink the image put there
        }
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        ImageNative.Chown(path, uid, gid);
    }

    public static void Symlink(string rootfs, string imagePath, string target)
    {
        var path = At(rootfs, imagePath);
        File.CreateSymbolicLink(path, target);
    }

    /// <summary>Changes the owner of a tree without following symlinks.</summary>
    public static void ChownTree(string path, int uid, int gid)
    {
        ImageNative.Chown(path, uid, gid);
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null) return;
        foreach (var entry in info.EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo && entry.LinkTarget is null) ChownTree(entry.FullName, uid, gid);
            else ImageNative.Chown(entry.FullName, uid, gid);
        }
    }

    /// <summary>Copies a tree (regular files, directories and symlinks), keeping modes.</summary>
    public static void CopyTree(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        File.SetUnixFileMode(destination, File.GetUnixFileMode(source));
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(destination, entry.Name);
            if (entry.LinkTarget is { } link) File.CreateSymbolicLink(target, link);
            else if (entry is DirectoryInfo) CopyTree(entry.FullName, target);
            else File.Copy(entry.FullName, target, overwrite: true);
        }
    }

    /// <summary>Sum of the sizes of regular files under <paramref name="root"/>; symlinks are not followed.</summary>
    public static long SizeOfRegularFiles(string root)
    {
        long total = 0;
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(root));
        while (pending.Count > 0)
        {
            foreach (var entry in pending.Pop().EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null) continue;
                if (entry is DirectoryInfo dir) pending.Push(dir);
                else if (entry is FileInfo file) total += file.Length; // devices and fifos report 0
            }
        }
        return total;
    }
}
