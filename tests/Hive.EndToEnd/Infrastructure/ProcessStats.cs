namespace Hive.EndToEnd.Infrastructure;

/// <summary>What /proc says about a process: its open file descriptors and resident memory.</summary>
public static class ProcessStats
{
    public static int OpenFds(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    /// <summary>Resident set size in bytes (VmRSS).</summary>
    public static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        throw new InvalidOperationException($"no VmRSS for pid {pid}");
    }

    /// <summary>Open descriptors grouped by what they point at (pipe, socket, anon_inode:…, a path): for failure messages.</summary>
    public static string Describe(int pid)
    {
        var kinds = new Dictionary<string, int>();
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            string target;
            try { target = new FileInfo(fd).LinkTarget ?? "?"; }
            catch (IOException) { continue; }
            var kind = target.Contains(':') ? target[..target.IndexOf(':')] : target.StartsWith('/') ? Path.GetDirectoryName(target) ?? target : target;
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }
        return string.Join(", ", kinds.OrderByDescending(k => k.Value).Take(8).Select(k => $"{k.Key} ×{k.Value}"));
    }
}
