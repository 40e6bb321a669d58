namespace Hive.Runtime.Host;

/// <summary>One reading of a container's cgroup: cumulative CPU time, memory in use (and its peak, where the kernel keeps it), tasks.</summary>
public sealed record CgroupReading(long CpuUsec, long MemoryBytes, long? MemoryPeakBytes, long Pids);

/// <summary>
/// Reads a container's usage from its cgroup, on the unified hierarchy (cgroup v2) or the v1 controllers
/// (cpuacct, memory, pids), whichever the host mounts at <c>/sys/fs/cgroup</c>.
/// </summary>
public static class CgroupUsage
{
    public const string Root = "/sys/fs/cgroup";

    /// <summary>The reading of the cgroup at <paramref name="cgroupsPath"/> (as runc's <c>cgroupsPath</c>), or null when it is gone.</summary>
    public static CgroupReading? Read(string cgroupsPath, string root = Root)
    {
        var relative = cgroupsPath.TrimStart('/');
        try
        {
            return File.Exists(Path.Combine(root, "cgroup.controllers")) ? ReadV2(Path.Combine(root, relative)) : ReadV1(root, relative);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null; // the container stopped between two reads
        }
    }

    private static CgroupReading? ReadV2(string dir)
    {
        if (!Directory.Exists(dir)) return null;
        var cpu = ParseCpuStatUsec(File.ReadAllText(Path.Combine(dir, "cpu.stat")));
        var memory = ParseLong(File.ReadAllText(Path.Combine(dir, "memory.current")));
        var peakFile = Path.Combine(dir, "memory.peak");
        long? peak = File.Exists(peakFile) ? ParseLong(File.ReadAllText(peakFile)) : null;
        var pidsFile = Path.Combine(dir, "pids.current");
        var pids = File.Exists(pidsFile) ? ParseLong(File.ReadAllText(pidsFile)) : 0;
        return new CgroupReading(cpu, memory, peak, pids);
    }

    private static CgroupReading? ReadV1(string root, string relative)
    {
        // cpuacct is mounted alone or together with cpu ("cpu,cpuacct"), depending on the distribution.
        var cpuDir = new[] { "cpuacct", "cpu,cpuacct", "cpuacct,cpu" }.Select(c => Path.Combine(root, c, relative)).FirstOrDefault(Directory.Exists);
        var memoryDir = Path.Combine(root, "memory", relative);
        if (cpuDir is null || !Directory.Exists(memoryDir)) return null;
        var cpuNs = ParseLong(File.ReadAllText(Path.Combine(cpuDir, "cpuacct.usage")));
        var memory = ParseLong(File.ReadAllText(Path.Combine(memoryDir, "memory.usage_in_bytes")));
        var peakFile = Path.Combine(memoryDir, "memory.max_usage_in_bytes");
        long? peak = File.Exists(peakFile) ? ParseLong(File.ReadAllText(peakFile)) : null;
        var pidsFile = Path.Combine(root, "pids", relative, "pids.current");
        var pids = File.Exists(pidsFile) ? ParseLong(File.ReadAllText(pidsFile)) : 0;
        return new CgroupReading(cpuNs / 1000, memory, peak, pids);
    }

    /// <summary>The <c>usage_usec</c> line of a v2 <c>cpu.stat</c>.</summary>
    public static long ParseCpuStatUsec(string cpuStat)
    {
        foreach (var line in cpuStat.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == "usage_usec") return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new FormatException("cpu.stat has no usage_usec line");
    }

    /// <summary>A counter file's value ("max" is not a counter, so it is refused).</summary>
    public static long ParseLong(string text) => long.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
