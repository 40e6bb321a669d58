using Hive.Mcp.Tools;

namespace Hive.Mcp.Tests;

public sealed class SearchToolsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("*.ts", "a.ts", true)]
    [InlineData("*.ts", "src/a.ts", false)]
    [InlineData("**/*.ts", "a.ts", true)]
    [InlineData("**/*.ts", "src/deep/a.ts", true)]
    [InlineData("src/**/*.{ts,tsx}", "src/x/y.tsx", true)]
    [InlineData("src/**/*.{ts,tsx}", "lib/y.tsx", false)]
    [InlineData("file?.c", "file1.c", true)]
    [InlineData("file[0-9].c", "filex.c", false)]
    [InlineData("file[!0-9].c", "filex.c", true)]
    [InlineData("**/*", ".git/config", false)]
    [InlineData(".git/*", ".git/config", true)]
    [InlineData("a.b", "aXb", false)]
    public void Glob_patterns_match_like_the_shell(string pattern, string path, bool expected) =>
        Assert.Equal(expected, new GlobPattern(pattern).IsMatch(path));

    [Fact]
    public void Glob_returns_absolute_paths_newest_first()
    {
        var old = _dir.File("src/old.cs", "", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var mid = _dir.File("src/deep/mid.cs", "", new DateTime(2022, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var recent = _dir.File("top.cs", "", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        _dir.File("readme.md", "");
        _dir.File(".hidden/h.cs", "");
        Assert.Equal($"{recent}\n{mid}\n{old}", SearchTools.Glob("**/*.cs", _dir.Path));
        Assert.Equal($"{mid}\n{old}", SearchTools.Glob(_dir.Path + "/src/**/*.cs", "/"));
        Assert.Equal("No files found", SearchTools.Glob("**/*.rs", _dir.Path));
        Assert.Equal($"glob: {_dir.Path}/nope: No such file or directory",
            Assert.Throws<ToolException>(() => SearchTools.Glob("*", _dir.Path + "/nope")).Message);
    }

    [Fact]
    public void Grep_lists_files_counts_and_shows_content_with_context()
    {
        var a = _dir.File("a.py", "import os\nprint('hello')\nx = 1\ny = 2\nprint('bye')\n", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var b = _dir.File("sub/b.py", "PRINT = 3\n", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        _dir.File("c.txt", "print here too\n");
        File.WriteAllBytes(Path.Combine(_dir.Path, "bin.dat"), [(byte)'p', (byte)'r', (byte)'i', (byte)'n', (byte)'t', 0]);

        var opts = new SearchTools.GrepOptions { Glob = "*.py" };
        Assert.Equal(a, SearchTools.Grep("print", _dir.Path, opts));
        Assert.Equal($"{b}\n{a}", SearchTools.Grep("print", _dir.Path, opts with { IgnoreCase = true }));
        Assert.Equal($"{a}:2", SearchTools.Grep("print", _dir.Path, opts with { OutputMode = "count" }));
        Assert.Equal($"{a}-1-import os\n{a}:2:print('hello')\n{a}-3-x = 1\n{a}-4-y = 2\n{a}:5:print('bye')",
            SearchTools.Grep("print", _dir.Path, opts with { OutputMode = "content", After = 1, Before = 1 }));
        Assert.Equal("2:print('hello')\n5:print('bye')", SearchTools.Grep("print", a, new SearchTools.GrepOptions { OutputMode = "content" }));
        Assert.Equal("No matches found", SearchTools.Grep("nothing", _dir.Path, new SearchTools.GrepOptions()));
        Assert.DoesNotContain("bin.dat", SearchTools.Grep("print", _dir.Path, new SearchTools.GrepOptions()));
    }

    [Fact]
    public void Grep_context_groups_are_separated_and_merged()
    {
        var f = _dir.File("n.txt", "m1\na\nb\nc\nd\nm2\nm3\ne\n");
        Assert.Equal("1:m1\n2-a\n--\n5-d\n6:m2\n7:m3\n8-e", SearchTools.Grep("^m", f, new SearchTools.GrepOptions { OutputMode = "content", Before = 1, After = 1 }));
    }

    [Fact]
    public void Grep_multiline_head_limit_and_bad_input()
    {
        var f = _dir.File("m.txt", "start\nmiddle\nend\nother\n");
        Assert.Equal("1:start\n2:middle\n3:end", SearchTools.Grep(@"start\nmiddle\nend", f, new SearchTools.GrepOptions { OutputMode = "content", Multiline = true }));
        Assert.Equal("1:start\n[output limited to the first 1 lines (headLimit)]",
            SearchTools.Grep("t", f, new SearchTools.GrepOptions { OutputMode = "content", HeadLimit = 1 }));
        Assert.StartsWith("pattern is not a valid regular expression", Assert.Throws<ToolException>(() => SearchTools.Grep("(", f, new SearchTools.GrepOptions())).Message);
        Assert.Throws<ToolException>(() => SearchTools.Grep("x", f, new SearchTools.GrepOptions { OutputMode = "lines" }));
        var missing = Path.Combine(_dir.Path, "none");
        Assert.Equal($"grep: {missing}: No such file or directory", Assert.Throws<ToolException>(() => SearchTools.Grep("x", missing, new SearchTools.GrepOptions())).Message);
    }

    [Fact]
    public void Ls_lists_directories_files_and_links()
    {
        _dir.File("b.txt", "12345");
        Directory.CreateDirectory(Path.Combine(_dir.Path, "a-dir"));
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "c-link"), "b.txt");
        _dir.File("skip.log", "");
        Assert.Equal($"{_dir.Path}/\n  a-dir/\n  b.txt (5 bytes)\n  c-link -> b.txt", SearchTools.Ls(_dir.Path, ["*.log"]));
        Assert.Equal($"{_dir.Path}/\n  (empty directory)", SearchTools.Ls(Path.Combine(_dir.Path, "a-dir"), null).Replace(Path.Combine(_dir.Path, "a-dir"), _dir.Path));
        Assert.Equal($"ls: {_dir.Path}/x: No such file or directory", Assert.Throws<ToolException>(() => SearchTools.Ls(_dir.Path + "/x", null)).Message);
    }
}
