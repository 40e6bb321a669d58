using System.Text;

namespace Hive.Core.Config;

/// <summary>Builds the error paths: <c>a.b</c>, <c>a[0]</c>, and <c>a["not an identifier"]</c> for other keys.</summary>
internal static class JsonPath
{
    public const string Root = "$";

    public static string Property(string parent, string key)
    {
        if (IsIdentifier(key)) return parent.Length == 0 ? key : parent + "." + key;
        return parent + "[" + Quote(key) + "]";
    }

    public static string Index(string parent, int index) => $"{parent}[{index}]";

    /// <summary>The path to report a problem with the value at <paramref name="path"/> itself.</summary>
    public static string Of(string path) => path.Length == 0 ? Root : path;

    public static bool IsIdentifier(string key)
    {
        if (key.Length == 0 || !(char.IsAsciiLetter(key[0]) || key[0] == '_')) return false;
        foreach (var c in key)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        return true;
    }

    private static string Quote(string key)
    {
        var sb = new StringBuilder(key.Length + 2).Append('"');
        foreach (var c in key)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case < ' ' or '\u007f': sb.Append($"\\u{(int)c:x4}"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }
}
