namespace Hive.SafePaths;

/// <summary>The errno values callers of <see cref="InRoot"/> and <see cref="Openat2"/> tell apart (Linux, every architecture .NET runs on).</summary>
internal static class Errno
{
    public const int ENOENT = 2, EAGAIN = 11, EACCES = 13, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22,
        ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40;
}
