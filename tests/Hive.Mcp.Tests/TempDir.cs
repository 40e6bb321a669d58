namespace Hive.Mcp.Tests;

/// <summary>A scratch directory removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("hive-mcp-test-").FullName;

    public string File(string relative, string content, DateTime? modified = null)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, content);
        if (modified is { } m) System.IO.File.SetLastWriteTimeUtc(full, m);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
