using Hive.Files.Owner;

namespace Hive.Host;

/// <summary>The files API's failures in the seam's terms: the API layer maps them to HTTP, not the file system.</summary>
internal static class OwnerFileErrors
{
    private const int ENAMETOOLONG = 36;

    public static async Task<T> Translate<T>(Func<Task<T>> operation)
    {
        try { return await operation(); }
        catch (Exception e) when (AsHostError(e) is { } h) { throw h; }
    }

    public static async Task Translate(Func<Task> operation)
    {
        try { await operation(); }
        catch (Exception e) when (AsHostError(e) is { } h) { throw h; }
    }

    private static HostException? AsHostError(Exception e) => e switch
    {
        OwnerFilesException f => new HostException(f.Status switch
        {
            404 => HostErrorKind.NotFound,
            409 => HostErrorKind.Conflict,
            504 => HostErrorKind.Timeout,
            400 => HostErrorKind.Invalid,
            _ => HostErrorKind.Unprocessable,
        }, f.Title, f.Message),
        PathTooLongException => TooLong(),
        IOException io when (io.HResult & 0xFFFF) == ENAMETOOLONG => TooLong(),
        _ => null,
    };

    private static HostException TooLong() =>
        new(HostErrorKind.Invalid, "Bad request", "a name in the path is longer than 255 bytes, or the path longer than 4096");
}
