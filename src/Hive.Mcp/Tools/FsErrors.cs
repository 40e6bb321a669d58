using System.Runtime.InteropServices;

namespace Hive.Mcp.Tools;

/// <summary>
/// Turns .NET's I/O exceptions back into what the shell would print (<c>tool: path: strerror</c>), so an
/// ACL denial reads the same through a tool as through <c>cat</c>: ENOENT for deny, EROFS for read-only.
/// </summary>
public static class FsErrors
{
    public const int ENOENT = 2, EACCES = 13, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, EROFS = 30;

    public static ToolException From(string tool, string path, Exception e) => new($"{tool}: {path}: {Describe(e)}");

    /// <summary>Runs <paramref name="action"/>, reporting an I/O failure the way the shell would.</summary>
    public static T Guard<T>(string tool, string path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsIo(e))
        {
            throw From(tool, path, e);
        }
    }

    public static bool IsIo(Exception e) => e is IOException or UnauthorizedAccessException;

    public static string Describe(Exception e) => Errno(e) is { } errno ? Strerror(errno) : e.Message;

    /// <summary>The errno behind an exception from System.IO on Unix, when it can be told.</summary>
    public static int? Errno(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => ENOENT,
        // EACCES, EPERM and EBADF become UnauthorizedAccessException around an IOException that holds the errno.
        UnauthorizedAccessException { InnerException: IOException inner } when IsErrno(inner.HResult) => inner.HResult,
        UnauthorizedAccessException => EACCES,
        PathTooLongException => 36,
        IOException io when IsErrno(io.HResult) => io.HResult,
        _ => null,
    };

    public static string Strerror(int errno) => errno switch
    {
        ENOENT => "No such file or directory",
        EROFS => "Read-only file system",
        EACCES => "Permission denied",
        EISDIR => "Is a directory",
        ENOTDIR => "Not a directory",
        EEXIST => "File exists",
        _ => Marshal.GetPInvokeErrorMessage(errno),
    };

    // Raw errnos are small positive numbers; Windows-style HRESULTs are negative.
    private static bool IsErrno(int value) => value is > 0 and < 4096;
}
