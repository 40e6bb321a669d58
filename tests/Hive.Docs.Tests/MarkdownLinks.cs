using System.Text;
using System.Text.RegularExpressions;

namespace Hive.Docs.Tests;

/// <summary>The links of a Markdown file and the anchors its headings make, as GitHub renders them.</summary>
internal static partial class MarkdownLinks
{
    /// <summary>Inline links and images <c>[text](target "title")</c>, and reference definitions <c>[id]: target</c>.</summary>
    public static IEnumerable<(int Line, string Target)> Links(string markdown)
    {
        var lines = markdown.Split('\n');
        var inFence = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (Fence().IsMatch(line)) { inFence = !inFence; continue; }
            if (inFence) continue;
            var text = CodeSpan().Replace(line, "");
            foreach (Match m in Inline().Matches(text)) yield return (i + 1, m.Groups["target"].Value);
            if (Definition().Match(text) is { Success: true } d) yield return (i + 1, d.Groups["target"].Value);
        }
    }

    /// <summary>The anchors GitHub gives the headings of <paramref name="markdown"/> (duplicates get -1, -2, …).</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (Fence().IsMatch(line)) { inFence = !inFence; continue; }
            if (inFence || Heading().Match(line) is not { Success: true } h) continue;
            var slug = Slug(h.Groups["text"].Value);
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++) unique = $"{slug}-{n}";
        }
        return anchors;
    }

    /// <summary>GitHub's heading slug: lower case, punctuation dropped (but - and _), spaces turned into -.</summary>
    public static string Slug(string heading)
    {
        var text = Inline().Replace(heading.Trim(), "${text}");
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_') sb.Append(c);
            else if (c == ' ') sb.Append('-');
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^\s*(```|~~~)")]
    private static partial Regex Fence();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex Inline();

    [GeneratedRegex(@"^\s{0,3}\[[^\]]+\]:\s+(?<target>\S+)")]
    private static partial Regex Definition();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
