using Hive.SafePaths;

namespace Hive.Runtime.Host;

/// <summary>
/// Resolves an image's <c>User</c> ("1000", "1000:1000", "agent", "agent:agent") against its /etc/passwd, read
/// inside the image (<see cref="InRoot.Image"/>): an imported image's <c>/etc/passwd -> /host/path</c> reads the
/// image's own file, never the host's.
/// </summary>
public static class ImageUser
{
    public const int DefaultUid = 1000;

    public static (int Uid, int Gid) Resolve(string? user, string rootFs)
    {
        if (string.IsNullOrWhiteSpace(user)) return (DefaultUid, DefaultUid);
        var parts = user.Split(':', 2);
        var (uid, primaryGid) = ResolveUser(parts[0], rootFs);
        var gid = parts.Length == 2 ? ResolveGroup(parts[1], rootFs) : primaryGid;
        return (uid, gid);
    }

    /// <summary>The home directory /etc/passwd gives the uid, else "/" (what runc uses when HOME is unset).</summary>
    public static string Home(int uid, string rootFs)
    {
        var id = uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var f in Entries(rootFs, "etc/passwd"))
            if (f.Length > 5 && f[2] == id && f[5].StartsWith('/')) return f[5];
        return "/";
    }

    private static (int Uid, int Gid) ResolveUser(string name, string rootFs)
    {
        foreach (var f in Entries(rootFs, "etc/passwd"))
            if (f.Length > 3 && (f[0] == name || f[2] == name) && int.TryParse(f[2], out var u) && int.TryParse(f[3], out var g))
                return (u, g);
        if (int.TryParse(name, out var uid)) return (uid, uid);
        throw new InvalidOperationException($"image user \"{name}\" is not in the image's /etc/passwd");
    }

    private static int ResolveGroup(string name, string rootFs)
    {
        if (int.TryParse(name, out var gid)) return gid;
        foreach (var f in Entries(rootFs, "etc/group"))
            if (f.Length > 2 && f[0] == name && int.TryParse(f[2], out var g)) return g;
        throw new InvalidOperationException($"image group \"{name}\" is not in the image's /etc/group");
    }

    private const int MaxAccountsFileBytes = 4 << 20;

    private static IEnumerable<string[]> Entries(string rootFs, string path)
    {
        string? text;
        try
        {
            using var root = InRoot.Open(rootFs, InRoot.Image);
            text = root.ReadAllText(path, MaxAccountsFileBytes);
        }
        catch (InRootException e)
        {
            throw new InvalidOperationException($"cannot read the image's /{path}: {e.Message}", e);
        }
        return text is null ? [] : text.Split('\n').Select(l => l.Split(':'));
    }
}
