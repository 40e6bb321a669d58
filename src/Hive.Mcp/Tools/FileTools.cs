using System.Text;

namespace Hive.Mcp.Tools;

/// <summary><c>read</c>, <c>write</c> and <c>edit</c>: plain file access as the agent user, errors worded like the shell's.</summary>
public static class FileTools
{
    public const int DefaultReadLimit = 2000;
    public const int MaxLineLength = 2000;
    public const int MaxReadChars = 100_000;
    public const long MaxEditBytes = 10 * 1024 * 1024;

    /// <summary>Lines of a text file, numbered like <c>cat -n</c>, from line <paramref name="offset"/> (1-based).</summary>
    public static string Read(string path, int? offset, int? limit)
    {
        if (offset is < 0) throw new ToolException("offset must be a line number, 1 or more");
        if (limit is <= 0) throw new ToolException("limit must be a positive number of lines");
        var first = Math.Max(offset ?? 1, 1);
        var count = limit ?? DefaultReadLimit;
        if (Directory.Exists(path)) throw new ToolException($"read: {path}: Is a directory (use ls to list it)");

        return FsErrors.Guard("read", path, () =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024);
            var head = new byte[8192];
            var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (ToolPaths.LooksBinary(head.AsSpan(0, n)))
            {
                return $"{path} is a binary file ({stream.Length} bytes), so read does not show it. " +
                       "Inspect it with bash instead (e.g. `file`, `xxd | head`, `strings`).";
            }
            if (n == 0) return $"{path} is empty (0 bytes).";
            stream.Position = 0;
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var sb = new StringBuilder();
            var line = 0;
            var shown = 0;
            string? text;
            while ((text = reader.ReadLine()) is not null)
            {
                line++;
                if (line < first) continue;
                if (shown == count || sb.Length > MaxReadChars)
                {
                    sb.Append($"[more lines follow: call read with offset={line} to continue]");
                    return sb.ToString();
                }
                if (text.Length > MaxLineLength) text = text[..MaxLineLength] + $"… [line truncated: {text.Length} characters]";
                sb.Append(line.ToString().PadLeft(6)).Append('\t').Append(text).Append('\n');
                shown++;
            }
            if (shown == 0) return $"{path} has {line} lines; offset {first} is past the end.";
            return sb.ToString().TrimEnd('\n');
        });
    }

    /// <summary>Writes <paramref name="content"/> to a file, creating it and its parent directories as needed.</summary>
    public static string Write(string path, string? content)
    {
        if (content is null) throw new ToolException("content is required (use \"\" for an empty file)");
        if (Directory.Exists(path)) throw new ToolException($"write: {path}: Is a directory");
        var parent = Path.GetDirectoryName(path)!;
        FsErrors.Guard("write: mkdir", parent, () => Directory.CreateDirectory(parent));
        var existed = File.Exists(path);
        var bytes = Encoding.UTF8.GetBytes(content);
        FsErrors.Guard("write", path, () =>
        {
            // In place (O_TRUNC), not through a temp file and rename: keeps the file's mode and owner, and needs
            // no right on the directory that writing the file itself does not need.
            using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
            f.Write(bytes);
            return 0;
        });
        return existed ? $"Updated {path} ({bytes.Length} bytes)." : $"Created {path} ({bytes.Length} bytes).";
    }

    /// <summary>Replaces <paramref name="oldString"/> (which must occur exactly once, or any number of times with <paramref name="replaceAll"/>).</summary>
    public static string Edit(string path, string? oldString, string? newString, bool replaceAll)
    {
        if (oldString is null) throw new ToolException("oldString is required");
        if (newString is null) throw new ToolException("newString is required");
        if (oldString == newString) throw new ToolException("oldString and newString are the same: there is nothing to change");
        if (Directory.Exists(path)) throw new ToolException($"edit: {path}: Is a directory");
        if (oldString.Length == 0)
        {
            // As coding agents expect: an empty oldString creates a file that does not exist yet.
            if (!File.Exists(path)) return Write(path, newString);
            throw new ToolException($"oldString is empty but {path} already exists: give the exact text to replace (or use write to replace the whole file)");
        }

        var original = FsErrors.Guard("edit", path, () =>
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new FileNotFoundException(null, path);
            if (info.Length > MaxEditBytes) throw new ToolException($"edit: {path} is {info.Length} bytes, over the {MaxEditBytes}-byte limit for edit; change it with bash (e.g. sed)");
            if (ToolPaths.LooksBinary(path)) throw new ToolException($"edit: {path} is a binary file; edit only changes text files");
            return File.ReadAllText(path);
        });

        var needle = oldString;
        var replacement = newString;
        var count = Count(original, needle);
        if (count == 0 && original.Contains("\r\n", StringComparison.Ordinal) && oldString.Contains('\n'))
        {
            // The model writes \n; a CRLF file has \r\n.
            needle = oldString.ReplaceLineEndings("\r\n");
            replacement = newString.ReplaceLineEndings("\r\n");
            count = Count(original, needle);
        }
        if (count == 0)
        {
            throw new ToolException($"oldString was not found in {path}. It must match the file exactly, including whitespace, " +
                                    "indentation and line breaks; read the file again and copy the text from it.");
        }
        if (count > 1 && !replaceAll)
        {
            throw new ToolException($"oldString occurs {count} times in {path}, so the edit is ambiguous. Include more surrounding " +
                                    "lines to make it unique, or set replaceAll to true to replace every occurrence.");
        }
        var at = original.IndexOf(needle, StringComparison.Ordinal);
        var updated = replaceAll ? original.Replace(needle, replacement, StringComparison.Ordinal)
            : string.Concat(original.AsSpan(0, at), replacement, original.AsSpan(at + needle.Length));
        FsErrors.Guard("edit", path, () =>
        {
            using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
            f.Write(new UTF8Encoding(false).GetBytes(updated));
            return 0;
        });
        var what = count == 1 ? "1 occurrence" : $"{count} occurrences";
        return $"Edited {path}: replaced {what}. The changed region now reads:\n{Snippet(updated, at, replacement.Length)}";
    }

    private static int Count(string haystack, string needle)
    {
        var count = 0;
        for (var i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    /// <summary>A few numbered lines around [at, at+length) of <paramref name="text"/>.</summary>
    private static string Snippet(string text, int at, int length)
    {
        const int around = 3;
        var firstLine = 1 + Count(text.AsSpan(0, at), '\n');
        var lastLine = firstLine + Count(text.AsSpan(at, Math.Min(length, text.Length - at)), '\n');
        var lines = text.Split('\n');
        var from = Math.Max(1, firstLine - around);
        var to = Math.Min(lines.Length, lastLine + around);
        var sb = new StringBuilder();
        for (var i = from; i <= to; i++) sb.Append(i.ToString().PadLeft(6)).Append('\t').Append(lines[i - 1].TrimEnd('\r')).Append('\n');
        return sb.ToString().TrimEnd('\n');
    }

    private static int Count(ReadOnlySpan<char> text, char c) => text.Count(c);
}
