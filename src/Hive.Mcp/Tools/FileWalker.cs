namespace Hive.Mcp.Tools;

/// <summary>Depth-first walk of regular files below a directory, not through symlinked directories, skipping what cannot be read.</summary>
public static class FileWalker
{
    public const int MaxEntries = 200_000;

    /// <summary>Yields (absolute path, path relative to <paramref name="root"/>) of every regular file.</summary>
    public static IEnumerable<(FileInfo File, string Relative)> Files(string root, bool includeHidden, Func<bool>? stop = null)
    {
        var pending = new Stack<(DirectoryInfo Dir, string Relative)>();
        pending.Push((new DirectoryInfo(root), ""));
        var seen = 0;
        while (pending.Count > 0)
        {
            var (dir, rel) = pending.Pop();
            FileSystemInfo[] entries;
            try
            {
                entries = dir.GetFileSystemInfos();
            }
            catch (Exception e) when (FsErrors.IsIo(e))
            {
                continue; // unreadable (or denied: then it is not listed at all)
            }
            Array.Sort(entries, (a, b) => string.CompareOrdinal(b.Name, a.Name)); // popped in name order
            foreach (var entry in entries)
            {
                if (++seen > MaxEntries || stop?.Invoke() == true) yield break;
                if (!includeHidden && entry.Name.StartsWith('.')) continue;
                var relative = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
                if (entry is DirectoryInfo d)
                {
                    if (d.LinkTarget is null) pending.Push((d, relative));
                }
                else if (entry is FileInfo f)
                {
                    if (f.LinkTarget is not null && !File.Exists(f.FullName)) continue; // dangling link
                    yield return (f, relative);
                }
            }
        }
    }
}
