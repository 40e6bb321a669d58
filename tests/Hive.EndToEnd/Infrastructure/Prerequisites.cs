namespace Hive.EndToEnd.Infrastructure;

/// <summary>These tests drive real runc, namespaces and nftables: they fail loudly when the host cannot.</summary>
public static class Prerequisites
{
    public static void Check()
    {
        var problems = new List<string>();
        if (!File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:") && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0"))
            problems.Add("the end-to-end tests must run as root (they start runc containers, network namespaces and nftables rules)");
        foreach (var tool in new[] { "runc", "nft", "ip" })
            if (!OnPath(tool)) problems.Add($"{tool} is not installed (make deps installs it)");
        if (!File.Exists("/bin/busybox")) problems.Add("/bin/busybox is missing (apt-get install busybox-static)");
        if (problems.Count > 0) throw new InvalidOperationException("host prerequisites missing: " + string.Join("; ", problems));
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin").Append("/sbin").Any(d => File.Exists(Path.Combine(d, tool)));
}
