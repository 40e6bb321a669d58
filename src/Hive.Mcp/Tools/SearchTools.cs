using System.Text;
using System.Text.RegularExpressions;

namespace Hive.Mcp.Tools;

/// <summary><c>glob</c>, <c>grep</c> and <c>ls</c>.</summary>
public static class SearchTools
{
    public const int MaxGlobResults = 100;
    public const int MaxOutputChars = 30_000;
    public const long MaxGrepFileBytes = 20 * 1024 * 1024;
    public const int MaxLsEntries = 1000;

    /// <summary>Files whose path below <paramref name="directory"/> matches <paramref name="pattern"/>, newest first.</summary>
    public static string Glob(string pattern, string directory)
    {
        // An absolute pattern carries its own base: its literal leading segments.
        if (pattern.StartsWith('/'))
        {
            var (literal, rest) = SplitLiteralPrefix(pattern);
            directory = literal;
            pattern = rest;
            if (pattern.Length == 0) return File.Exists(literal) ? literal : "No files found";
        }
        var glob = new GlobPattern(pattern);
        RequireDirectory("glob", directory);
        var matches = new List<FileInfo>();
        foreach (var (file, relative) in FileWalker.Files(directory, glob.MatchesHidden))
            if (glob.IsMatch(relative)) matches.Add(file);
        if (matches.Count == 0) return "No files found";
        matches.Sort((a, b) => b.LastWriteTimeUtc.CompareTo(a.LastWriteTimeUtc));
        var sb = new StringBuilder();
        foreach (var f in matches.Take(MaxGlobResults)) sb.Append(f.FullName).Append('\n');
        if (matches.Count > MaxGlobResults)
            sb.Append($"[showing the {MaxGlobResults} most recently modified of {matches.Count} files; use a narrower pattern or path]\n");
        return sb.ToString().TrimEnd('\n');
    }

    public sealed record GrepOptions
    {
        public string? Glob { get; init; }
        public string OutputMode { get; init; } = "files_with_matches";
        public bool IgnoreCase { get; init; }
        public bool LineNumbers { get; init; } = true;
        public int Before { get; init; }
        public int After { get; init; }
        public bool Multiline { get; init; }
        public int? HeadLimit { get; init; }
    }

    /// <summary>Regex search like ripgrep: files with matches (newest first), counts, or matching lines with context.</summary>
    public static string Grep(string pattern, string path, GrepOptions o)
    {
        if (string.IsNullOrEmpty(pattern)) throw new ToolException("pattern is required");
        if (o.OutputMode is not ("content" or "files_with_matches" or "count"))
            throw new ToolException($"outputMode must be content, files_with_matches or count, not {o.OutputMode}");
        if (o.Before < 0 || o.After < 0) throw new ToolException("context line counts must be 0 or more");
        if (o.HeadLimit is <= 0) throw new ToolException("headLimit must be a positive number");
        Regex regex;
        try
        {
            var options = RegexOptions.CultureInvariant | (o.IgnoreCase ? RegexOptions.IgnoreCase : 0) | (o.Multiline ? RegexOptions.Multiline : 0);
            regex = new Regex(pattern, options, TimeSpan.FromSeconds(2));
        }
        catch (ArgumentException e)
        {
            throw new ToolException($"pattern is not a valid regular expression: {e.Message}");
        }
        var filter = o.Glob is null ? null : new GlobPattern(o.Glob.Contains('/') ? o.Glob : "**/" + o.Glob);

        IEnumerable<(FileInfo File, string Relative)> files;
        var single = File.Exists(path);
        if (single) files = [(new FileInfo(path), Path.GetFileName(path))];
        else
        {
            RequireDirectory("grep", path);
            files = FileWalker.Files(path, includeHidden: filter?.MatchesHidden ?? false);
        }

        var results = new List<(FileInfo File, int Count, string Content)>();
        foreach (var (file, relative) in files)
        {
            if (filter is not null && !single && !filter.IsMatch(relative)) continue;
            var found = SearchFile(file, regex, o, single);
            if (found is { } r && r.Count > 0) results.Add((file, r.Count, r.Content));
        }
        if (results.Count == 0) return "No matches found";
        results.Sort((a, b) => b.File.LastWriteTimeUtc.CompareTo(a.File.LastWriteTimeUtc));

        var limit = o.HeadLimit ?? int.MaxValue;
        var lines = o.OutputMode switch
        {
            "files_with_matches" => results.Select(r => r.File.FullName),
            "count" => results.Select(r => $"{r.File.FullName}:{r.Count}"),
            _ => results.SelectMany(r => r.Content.Split('\n')),
        };
        var sb = new StringBuilder();
        var taken = 0;
        foreach (var line in lines)
        {
            if (taken == limit)
            {
                sb.Append($"[output limited to the first {limit} lines (headLimit)]\n");
                break;
            }
            if (sb.Length + line.Length > MaxOutputChars)
            {
                sb.Append($"[output truncated at {MaxOutputChars} characters; narrow the search with path, glob or headLimit]\n");
                break;
            }
            sb.Append(line).Append('\n');
            taken++;
        }
        return sb.ToString().TrimEnd('\n');
    }

    private static (int Count, string Content)? SearchFile(FileInfo file, Regex regex, GrepOptions o, bool single)
    {
        string text;
        try
        {
            if (file.Length > MaxGrepFileBytes || ToolPaths.LooksBinary(file.FullName)) return null;
            text = File.ReadAllText(file.FullName);
        }
        catch (Exception e) when (FsErrors.IsIo(e))
        {
            if (single) throw FsErrors.From("grep", file.FullName, e);
            return null;
        }
        var lines = text.Split('\n');
        var hit = new bool[lines.Length];
        var count = 0;
        try
        {
            if (o.Multiline)
            {
                var starts = LineStarts(text);
                foreach (Match m in regex.Matches(text))
                {
                    count++;
                    var first = LineOf(starts, m.Index);
                    var last = LineOf(starts, m.Index + Math.Max(m.Length - 1, 0));
                    for (var l = first; l <= last; l++) hit[l] = true;
                }
            }
            else
            {
                for (var i = 0; i < lines.Length; i++)
                {
                    if (i == lines.Length - 1 && lines[i].Length == 0) break; // after the final newline
                    if (regex.IsMatch(lines[i].TrimEnd('\r'))) { hit[i] = true; count++; }
                }
            }
        }
        catch (RegexMatchTimeoutException)
        {
            throw new ToolException($"pattern took too long on {file.FullName} (catastrophic backtracking?); simplify it");
        }
        if (count == 0 || o.OutputMode != "content") return (count, "");

        var sb = new StringBuilder();
        var prefix = single ? "" : file.FullName;
        var lastShown = -2;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!hit[i]) continue;
            var from = Math.Max(0, i - o.Before);
            var to = Math.Min(lines.Length - 1, i + o.After);
            if (lastShown >= 0 && from > lastShown + 1 && (o.Before > 0 || o.After > 0)) sb.Append("--\n");
            for (var l = Math.Max(from, lastShown + 1); l <= to; l++)
            {
                if (l == lines.Length - 1 && lines[l].Length == 0) break;
                var sep = hit[l] ? ':' : '-';
                if (prefix.Length > 0) sb.Append(prefix).Append(sep);
                if (o.LineNumbers) sb.Append(l + 1).Append(sep);
                sb.Append(lines[l].TrimEnd('\r')).Append('\n');
                lastShown = l;
            }
        }
        return (count, sb.ToString().TrimEnd('\n'));
    }

    private static List<int> LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = text.IndexOf('\n'); i >= 0; i = text.IndexOf('\n', i + 1)) starts.Add(i + 1);
        return starts;
    }

    private static int LineOf(List<int> starts, int index)
    {
        var i = starts.BinarySearch(index);
        return i >= 0 ? i : ~i - 1;
    }

    /// <summary>The entries of a directory, one a line: directories end in '/', links show their target.</summary>
    public static string Ls(string path, IReadOnlyList<string>? ignore)
    {
        var ignored = (ignore ?? []).Select(g => new GlobPattern(g)).ToList();
        if (File.Exists(path)) return FsErrors.Guard("ls", path, () => Describe(new FileInfo(path), path));
        RequireDirectory("ls", path);
        var entries = FsErrors.Guard("ls", path, () => new DirectoryInfo(path).GetFileSystemInfos());
        Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var sb = new StringBuilder().Append(path.TrimEnd('/')).Append("/\n");
        var shown = 0;
        foreach (var e in entries)
        {
            if (ignored.Any(g => g.IsMatch(e.Name))) continue;
            if (shown++ == MaxLsEntries)
            {
                sb.Append($"[{entries.Length - MaxLsEntries} more entries not shown; use glob or bash to narrow down]\n");
                break;
            }
            sb.Append("  ").Append(Describe(e, e.Name)).Append('\n');
        }
        if (entries.Length == 0) sb.Append("  (empty directory)\n");
        return sb.ToString().TrimEnd('\n');
    }

    private static string Describe(FileSystemInfo e, string name) => e switch
    {
        _ when e.LinkTarget is { } target => $"{name} -> {target}",
        DirectoryInfo => name + "/",
        FileInfo f => $"{name} ({f.Length} bytes)",
        _ => name,
    };

    private static void RequireDirectory(string tool, string path)
    {
        if (Directory.Exists(path)) return;
        if (File.Exists(path)) throw new ToolException($"{tool}: {path}: Not a directory");
        throw new ToolException($"{tool}: {path}: No such file or directory");
    }

    /// <summary>"/a/b/**/*.cs" → ("/a/b", "**/*.cs"): the leading segments without wildcards, and the rest.</summary>
    private static (string Literal, string Remainder) SplitLiteralPrefix(string pattern)
    {
        var segments = pattern.Split('/');
        var i = 0;
        while (i < segments.Length && segments[i].IndexOfAny(['*', '?', '[', '{']) < 0) i++;
        var literal = "/" + string.Join('/', segments[..i].Where(s => s.Length > 0));
        return (Path.GetFullPath(literal), string.Join('/', segments[i..]));
    }
}
