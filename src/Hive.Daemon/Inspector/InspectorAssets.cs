namespace Hive.Daemon.Inspector;

/// <summary>
/// Where the Inspector's built web assets are: <c>$HIVE_INSPECTOR_DIR</c>, else <c>inspector/</c> next to the daemon's binary
/// (<c>make build</c> puts them in <c>out/hive/inspector</c>). Null <see cref="Directory"/> when they are not built.
/// </summary>
public sealed class InspectorAssets(string? directory)
{
    public const string DirectoryVariable = "HIVE_INSPECTOR_DIR";

    public string? Directory { get; } = directory;

    public static InspectorAssets Locate()
    {
        var dir = Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "inspector");
        return new InspectorAssets(File.Exists(Path.Combine(dir, "index.html")) ? Path.GetFullPath(dir) : null);
    }

    /// <summary>The file for an asset name below <c>assets/</c>: plain names only, no directories, so nothing outside can be named.</summary>
    public string? Asset(string name)
    {
        if (Directory is null || name.Length is 0 or > 128 || name[0] == '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')) return null;
        var path = Path.Combine(Directory, "assets", name);
        return File.Exists(path) ? path : null;
    }

    public static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json",
        ".map" => "application/json",
        ".png" => "image/png",
        ".woff2" => "font/woff2",
        _ => "application/octet-stream",
    };
}
