namespace Hive.Docs.Tests;

/// <summary>The repository the tests run in: its root (where Hive.sln is) and the files the checks read.</summary>
internal static class RepositoryFiles
{
    private static readonly string[] SkippedDirectories = ["node_modules", "bin", "obj", "out", ".git"];

    public static string Root { get; } = FindRoot();

    public static string DocsDirectory => Path.Combine(Root, "docs");

    /// <summary>Every *.md in docs/ and every README.md in the repository, build and dependency trees left out.</summary>
    public static IReadOnlyList<string> Documents()
    {
        var files = new List<string>();
        if (Directory.Exists(DocsDirectory)) files.AddRange(Directory.EnumerateFiles(DocsDirectory, "*.md", SearchOption.AllDirectories));
        files.AddRange(Walk(Root).Where(f => Path.GetFileName(f) == "README.md"));
        return [.. files.Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>Every C# source file under src/.</summary>
    public static IEnumerable<string> Sources() => Walk(Path.Combine(Root, "src")).Where(f => f.EndsWith(".cs", StringComparison.Ordinal));

    public static string Relative(string path) => Path.GetRelativePath(Root, path);

    private static IEnumerable<string> Walk(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory)) yield return file;
        foreach (var sub in Directory.EnumerateDirectories(directory))
        {
            if (SkippedDirectories.Contains(Path.GetFileName(sub))) continue;
            foreach (var file in Walk(sub)) yield return file;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hive.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Hive.sln above {AppContext.BaseDirectory}: the docs checks must run inside the repository");
    }
}
