namespace Hive.Runtime.Images;

/// <summary>Pure edits of passwd-style files (colon-separated lines), so images get users without running useradd.</summary>
public static class UnixAccounts
{
    public const string AgentName = "agent";
    public const int AgentId = 1000;
    public const string AgentHome = "/home/agent";

    /// <summary>Adds <c>name:x:uid:gid:gecos:home:shell</c>. Unchanged if the user exists with this uid; throws if the name or uid is taken otherwise.</summary>
    public static string AddPasswdEntry(string passwd, string name, int uid, int gid, string home, string shell)
    {
        foreach (var fields in Entries(passwd))
        {
            var sameName = fields[0] == name;
            var sameUid = fields.Length > 2 && fields[2] == uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (sameName && sameUid) return passwd;
            if (sameName || sameUid)
            {
                throw new InvalidOperationException($"/etc/passwd already has '{string.Join(':', fields)}'; cannot add {name} with uid {uid}.");
            }
        }
        return Append(passwd, $"{name}:x:{uid}:{gid}:{name}:{home}:{shell}");
    }

    /// <summary>Adds <c>name:x:gid:</c>, the same way as <see cref="AddPasswdEntry"/>.</summary>
    public static string AddGroupEntry(string group, string name, int gid)
    {
        foreach (var fields in Entries(group))
        {
            var sameName = fields[0] == name;
            var sameGid = fields.Length > 2 && fields[2] == gid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (sameName && sameGid) return group;
            if (sameName || sameGid)
            {
                throw new InvalidOperationException($"/etc/group already has '{string.Join(':', fields)}'; cannot add {name} with gid {gid}.");
            }
        }
        return Append(group, $"{name}:x:{gid}:");
    }

    /// <summary>Adds a shadow (or gshadow) line for <paramref name="name"/> unless one exists.</summary>
    public static string AddShadowLikeEntry(string shadow, string line)
    {
        var name = line[..line.IndexOf(':')];
        foreach (var fields in Entries(shadow))
        {
            if (fields[0] == name) return shadow;
        }
        return Append(shadow, line);
    }

    /// <summary>A locked-password shadow line, as useradd writes it.</summary>
    public static string ShadowLine(string name, DateTimeOffset now) =>
        $"{name}:!:{(long)(now - DateTimeOffset.UnixEpoch).TotalDays}:0:99999:7:::";

    private static IEnumerable<string[]> Entries(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            yield return line.Split(':');
        }
    }

    private static string Append(string text, string line) =>
        text.Length == 0 || text.EndsWith('\n') ? text + line + "\n" : text + "\n" + line + "\n";
}
