using Hive.Mcp.Tools;

namespace Hive.Mcp.Tests;

public sealed class FileToolsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Read_numbers_lines_like_cat_n_with_offset_and_limit()
    {
        var f = _dir.File("a.txt", "one\ntwo\r\nthree\nfour\n");
        Assert.Equal("     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour", FileTools.Read(f, null, null));
        Assert.Equal("     2\ttwo\n     3\tthree\n[more lines follow: call read with offset=4 to continue]", FileTools.Read(f, 2, 2));
        Assert.Equal($"{f} has 4 lines; offset 9 is past the end.", FileTools.Read(f, 9, null));
    }

    [Fact]
    public void Read_cuts_very_long_lines_and_reports_empty_files()
    {
        var f = _dir.File("long.txt", new string('x', 5000));
        var line = FileTools.Read(f, null, null);
        Assert.Contains("[line truncated: 5000 characters]", line);
        Assert.True(line.Length < 2100);
        Assert.Equal($"{_dir.File("empty.txt", "")} is empty (0 bytes).", FileTools.Read(Path.Combine(_dir.Path, "empty.txt"), null, null));
    }

    [Fact]
    public void Read_refuses_binary_files_politely()
    {
        var f = Path.Combine(_dir.Path, "bin.dat");
        File.WriteAllBytes(f, [0x7f, (byte)'E', (byte)'L', (byte)'F', 0, 1, 2]);
        var text = FileTools.Read(f, null, null);
        Assert.StartsWith($"{f} is a binary file (7 bytes)", text);
        Assert.Contains("bash", text);
    }

    [Fact]
    public void Read_errors_read_like_the_shell()
    {
        var missing = Path.Combine(_dir.Path, "missing.txt");
        Assert.Equal($"read: {missing}: No such file or directory", Assert.Throws<ToolException>(() => FileTools.Read(missing, null, null)).Message);
        Assert.Equal($"read: {_dir.Path}: Is a directory (use ls to list it)", Assert.Throws<ToolException>(() => FileTools.Read(_dir.Path, null, null)).Message);
        Assert.Throws<ToolException>(() => FileTools.Read(missing, -1, null));
        Assert.Throws<ToolException>(() => FileTools.Read(missing, null, 0));
    }

    [Fact]
    public void Write_creates_parent_directories_and_says_whether_it_created_or_updated()
    {
        var f = Path.Combine(_dir.Path, "x", "y", "z.txt");
        Assert.Equal($"Created {f} (5 bytes).", FileTools.Write(f, "hello"));
        Assert.Equal("hello", File.ReadAllText(f));
        File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal($"Updated {f} (3 bytes).", FileTools.Write(f, "bye"));
        Assert.Equal("bye", File.ReadAllText(f));
        Assert.True(File.GetUnixFileMode(f).HasFlag(UnixFileMode.UserExecute), "the file's mode is kept");
        Assert.Equal($"write: {_dir.Path}: Is a directory", Assert.Throws<ToolException>(() => FileTools.Write(_dir.Path, "x")).Message);
        Assert.Throws<ToolException>(() => FileTools.Write(f, null));
    }

    [Fact]
    public void Edit_replaces_a_unique_string_and_shows_the_result()
    {
        var f = _dir.File("code.py", "def a():\n    return 1\n\ndef b():\n    return 2\n");
        var result = FileTools.Edit(f, "return 1", "return 42", false);
        Assert.StartsWith($"Edited {f}: replaced 1 occurrence.", result);
        Assert.Contains("     2\t    return 42", result);
        Assert.Equal("def a():\n    return 42\n\ndef b():\n    return 2\n", File.ReadAllText(f));
    }

    [Fact]
    public void Edit_says_clearly_when_the_string_is_absent_or_not_unique()
    {
        var f = _dir.File("t.txt", "x = 1\nx = 1\ny = 2\n");
        var absent = Assert.Throws<ToolException>(() => FileTools.Edit(f, "z = 3", "z = 4", false)).Message;
        Assert.StartsWith($"oldString was not found in {f}.", absent);
        var ambiguous = Assert.Throws<ToolException>(() => FileTools.Edit(f, "x = 1", "x = 5", false)).Message;
        Assert.StartsWith($"oldString occurs 2 times in {f}", ambiguous);
        Assert.Contains("replaceAll", ambiguous);
        Assert.Equal("x = 1\nx = 1\ny = 2\n", File.ReadAllText(f)); // nothing changed
        Assert.StartsWith($"Edited {f}: replaced 2 occurrences.", FileTools.Edit(f, "x = 1", "x = 5", true));
        Assert.Equal("x = 5\nx = 5\ny = 2\n", File.ReadAllText(f));
        Assert.Throws<ToolException>(() => FileTools.Edit(f, "same", "same", false));
    }

    [Fact]
    public void Edit_matches_multi_line_strings_in_crlf_files()
    {
        var f = _dir.File("win.txt", "a\r\nb\r\nc\r\n");
        FileTools.Edit(f, "a\nb", "A\nB", false);
        Assert.Equal("A\r\nB\r\nc\r\n", File.ReadAllText(f));
    }

    [Fact]
    public void Edit_with_an_empty_old_string_creates_a_new_file_only()
    {
        var f = Path.Combine(_dir.Path, "new", "file.txt");
        Assert.StartsWith("Created", FileTools.Edit(f, "", "content", false));
        Assert.Equal("content", File.ReadAllText(f));
        Assert.Contains("already exists", Assert.Throws<ToolException>(() => FileTools.Edit(f, "", "other", false)).Message);
        var missing = Path.Combine(_dir.Path, "missing.txt");
        Assert.Equal($"edit: {missing}: No such file or directory", Assert.Throws<ToolException>(() => FileTools.Edit(missing, "a", "b", false)).Message);
    }

    [Fact]
    public void Errno_carrying_exceptions_map_to_the_shells_words()
    {
        Assert.Equal("Read-only file system", FsErrors.Describe(new IOException("Read-only file system : '/x'", FsErrors.EROFS)));
        Assert.Equal("No such file or directory", FsErrors.Describe(new DirectoryNotFoundException("x")));
        Assert.Equal("Permission denied", FsErrors.Describe(new UnauthorizedAccessException("x", new IOException("x", FsErrors.EACCES))));
        Assert.Equal("write: /w/f: Read-only file system", FsErrors.From("write", "/w/f", new IOException("x", FsErrors.EROFS)).Message);
    }

    [Fact]
    public void Paths_resolve_against_the_working_directory_and_home()
    {
        Assert.Equal("/work/a/b.txt", ToolPaths.Resolve("a/b.txt", "/work"));
        Assert.Equal("/etc/passwd", ToolPaths.Resolve("/etc/passwd", "/work"));
        Assert.Equal("/secret", ToolPaths.Resolve("../secret", "/work"));
        Assert.Throws<ToolException>(() => ToolPaths.Resolve("", "/work"));
        Assert.Throws<ToolException>(() => ToolPaths.Resolve("a\0b", "/work"));
    }
}
