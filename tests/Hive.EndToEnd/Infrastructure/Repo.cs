namespace Hive.EndToEnd.Infrastructure;

public static class Repo
{
    public static string Root { get; } = Find();

    /// <summary>The CLI that `make build` publishes; the tests run the daemon from it as a separate process.</summary>
    public static string Hive
    {
        get
        {
            var path = Path.Combine(Root, "out", "hive", "hive");
            return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: run `make build` first");
        }
    }

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hive.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Hive.sln) above " + AppContext.BaseDirectory);
    }
}
