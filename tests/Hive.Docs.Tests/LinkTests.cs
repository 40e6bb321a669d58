namespace Hive.Docs.Tests;

/// <summary>
/// Every relative link in docs/*.md and in every README.md leads to a file or directory of the repository (never
/// outside it: a clone has nothing beside it), and an anchor on a Markdown target names one of its headings.
/// </summary>
public class LinkTests
{
    [Fact]
    public void The_docs_directory_exists_and_the_readme_links_to_it()
    {
        Assert.True(Directory.Exists(RepositoryFiles.DocsDirectory), "docs/ is missing");
        var readme = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md"));
        Assert.Contains(MarkdownLinks.Links(readme), l => l.Target.StartsWith("docs/", StringComparison.Ordinal));
    }

    [Fact]
    public void Relative_links_in_docs_and_readmes_resolve_inside_the_repository()
    {
        var broken = new List<string>();
        foreach (var file in RepositoryFiles.Documents())
            foreach (var (line, target) in MarkdownLinks.Links(File.ReadAllText(file)))
                if (Problem(file, target) is { } problem)
                    broken.Add($"{RepositoryFiles.Relative(file)}:{line}: ({target}) {problem}");
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join("\n", broken));
    }

    /// <summary>What is wrong with <paramref name="target"/> as a link in <paramref name="file"/>, or null when nothing.</summary>
    internal static string? Problem(string file, string target)
    {
        if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) return null;
        var hash = target.IndexOf('#');
        var pathPart = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
        var anchor = hash < 0 ? null : target[(hash + 1)..];
        var query = pathPart.IndexOf('?');
        if (query >= 0) pathPart = pathPart[..query];
        if (pathPart.StartsWith('/')) return "is absolute: link relative to the file instead";

        var resolved = pathPart.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, pathPart));
        var root = RepositoryFiles.Root + Path.DirectorySeparatorChar;
        if (!resolved.StartsWith(root, StringComparison.Ordinal) && resolved != RepositoryFiles.Root)
            return "leads outside the repository";
        if (!File.Exists(resolved) && !Directory.Exists(resolved)) return "does not exist";
        if (string.IsNullOrEmpty(anchor) || !resolved.EndsWith(".md", StringComparison.Ordinal) || !File.Exists(resolved)) return null;
        return MarkdownLinks.Anchors(File.ReadAllText(resolved)).Contains(anchor) ? null : $"has no heading for #{anchor}";
    }

    [Theory]
    [InlineData("../../shared/SPEC.md", "leads outside the repository")]
    [InlineData("configuration.md#no-such-heading", "has no heading for #no-such-heading")]
    [InlineData("nothing-here.md", "does not exist")]
    [InlineData("/etc/passwd", "is absolute: link relative to the file instead")]
    [InlineData("configuration.md", null)]
    [InlineData("https://example.com/x", null)]
    public void The_checker_itself_refuses_what_a_clone_could_not_follow(string target, string? expected)
    {
        var file = Path.Combine(RepositoryFiles.DocsDirectory, "README.md");
        Assert.Equal(expected, Problem(file, target));
    }

    [Theory]
    [InlineData("Egress rules", "egress-rules")]
    [InlineData("`fs[].acls[].path`", "fsaclspath")]
    [InlineData("1. What Hive does *not* protect against", "1-what-hive-does-not-protect-against")]
    [InlineData("The [daemon](operating.md) log", "the-daemon-log")]
    public void Heading_slugs_follow_github(string heading, string slug) => Assert.Equal(slug, MarkdownLinks.Slug(heading));
}
