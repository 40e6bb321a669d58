using System.Text;
using System.Text.RegularExpressions;

namespace Hive.Mcp.Tools;

/// <summary>
/// Shell-style globs over '/'-separated relative paths: <c>*</c> and <c>?</c> within a segment, <c>**</c> across
/// segments (zero or more), <c>[abc]</c>/<c>[!a-z]</c> classes and <c>{a,b}</c> alternatives (nestable).
/// As in the shell, wildcards do not match a leading dot unless the pattern spells it.
/// </summary>
public sealed class GlobPattern
{
    private readonly Regex _regex;

    public GlobPattern(string pattern)
    {
        if (string.IsNullOrEmpty(pattern)) throw new ToolException("pattern is required");
        Pattern = pattern;
        MatchesHidden = pattern.StartsWith('.') || pattern.Contains("/.", StringComparison.Ordinal) || pattern.Contains("{.", StringComparison.Ordinal);
        _regex = new Regex("^" + Translate(pattern) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    public string Pattern { get; }

    /// <summary>True when the pattern names dot-files itself (then hidden entries are walked too).</summary>
    public bool MatchesHidden { get; }

    public bool IsMatch(string relativePath) =>
        (MatchesHidden || !HasHiddenSegment(relativePath)) && _regex.IsMatch(relativePath);

    public static bool HasHiddenSegment(string relativePath) =>
        relativePath.StartsWith('.') || relativePath.Contains("/.", StringComparison.Ordinal);

    private static string Translate(string p)
    {
        var sb = new StringBuilder();
        var braces = 0;
        for (var i = 0; i < p.Length; i++)
        {
            var c = p[i];
            switch (c)
            {
                case '*' when i + 1 < p.Length && p[i + 1] == '*':
                    i++;
                    if (i + 1 < p.Length && p[i + 1] == '/')
                    {
                        i++;
                        sb.Append("(?:[^/]*/)*"); // "**/" : zero or more directories
                    }
                    else
                    {
                        sb.Append(".*");
                    }
                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var end = p.IndexOf(']', i + 2);
                    if (end < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }
                    var body = p[(i + 1)..end];
                    if (body.StartsWith('!')) body = "^" + body[1..];
                    sb.Append('[').Append(body.Replace(@"\", @"\\")).Append(']');
                    i = end;
                    break;
                case '{':
                    braces++;
                    sb.Append("(?:");
                    break;
                case '}' when braces > 0:
                    braces--;
                    sb.Append(')');
                    break;
                case ',' when braces > 0:
                    sb.Append('|');
                    break;
                case '\\' when i + 1 < p.Length:
                    sb.Append(Regex.Escape(p[++i].ToString()));
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        if (braces > 0) throw new ToolException($"pattern {p}: unbalanced '{{'");
        return sb.ToString();
    }
}
