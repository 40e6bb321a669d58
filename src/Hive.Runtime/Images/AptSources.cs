namespace Hive.Runtime.Images;

/// <summary>Finds the Debian mirror the host already uses, from one-line (.list) and deb822 (.sources) APT sources.</summary>
public static class AptSources
{
    public const string DefaultMirror = "http://deb.debian.org/debian";

    /// <summary>The host's mirror for <paramref name="suite"/>, or <see cref="DefaultMirror"/>.</summary>
    public static string FindHostMirror(string suite)
    {
        var files = new List<(string, string)>();
        void Add(string path)
        {
            try
            {
                files.Add((path, File.ReadAllText(path)));
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        Add("/etc/apt/sources.list");
        if (Directory.Exists("/etc/apt/sources.list.d"))
        {
            var names = Directory.GetFiles("/etc/apt/sources.list.d");
            Array.Sort(names, StringComparer.Ordinal);
            foreach (var name in names)
            {
                if (name.EndsWith(".list", StringComparison.Ordinal) || name.EndsWith(".sources", StringComparison.Ordinal)) Add(name);
            }
        }
        return FindMirror(files, suite) ?? DefaultMirror;
    }

    /// <summary>The first http(s) URI of a "deb" source carrying exactly <paramref name="suite"/>, or null.</summary>
    public static string? FindMirror(IEnumerable<(string FileName, string Content)> files, string suite)
    {
        foreach (var (fileName, content) in files)
        {
            var found = fileName.EndsWith(".sources", StringComparison.Ordinal)
                ? FromDeb822(content, suite)
                : FromOneLine(content, suite);
            if (found is not null) return found;
        }
        return null;
    }

    private static string? FromOneLine(string content, string suite)
    {
        foreach (var rawLine in content.Split('\n'))
        {
            var line = rawLine;
            var hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            line = line.Trim();
            if (!line.StartsWith("deb ", StringComparison.Ordinal) && !line.StartsWith("deb\t", StringComparison.Ordinal)) continue;
            line = line[4..].Trim();
            if (line.StartsWith('['))
            {
                var close = line.IndexOf(']');
                if (close < 0) continue;
                line = line[(close + 1)..].Trim();
            }
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[1] == suite && IsHttp(parts[0])) return parts[0].TrimEnd('/');
        }
        return null;
    }

    private static string? FromDeb822(string content, string suite)
    {
        foreach (var stanza in Stanzas(content))
        {
            if (stanza.TryGetValue("enabled", out var enabled) && enabled.Trim().Equals("no", StringComparison.OrdinalIgnoreCase)) continue;
            if (!stanza.TryGetValue("types", out var types) || !Words(types).Contains("deb")) continue;
            if (!stanza.TryGetValue("suites", out var suites) || !Words(suites).Contains(suite)) continue;
            if (!stanza.TryGetValue("uris", out var uris)) continue;
            foreach (var uri in Words(uris))
            {
                if (IsHttp(uri)) return uri.TrimEnd('/');
            }
        }
        return null;
    }

    private static IEnumerable<Dictionary<string, string>> Stanzas(string content)
    {
        var current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? lastKey = null;
        foreach (var rawLine in content.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.StartsWith('#')) continue;
            if (line.Trim().Length == 0)
            {
                if (current.Count > 0) yield return current;
                current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                lastKey = null;
                continue;
            }
            if ((line[0] == ' ' || line[0] == '\t') && lastKey is not null)
            {
                current[lastKey] += " " + line.Trim();
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            lastKey = line[..colon].Trim();
            current[lastKey] = line[(colon + 1)..].Trim();
        }
        if (current.Count > 0) yield return current;
    }

    private static string[] Words(string value) => value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    private static bool IsHttp(string uri) =>
        uri.StartsWith("http://", StringComparison.Ordinal) || uri.StartsWith("https://", StringComparison.Ordinal);
}
