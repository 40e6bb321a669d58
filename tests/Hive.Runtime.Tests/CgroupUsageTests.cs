using Hive.Runtime.Host;

namespace Hive.Runtime.Tests;

/// <summary>The file layouts of both cgroup versions, laid out in a temporary directory (real cgroups are read by the end-to-end usage tests).</summary>
public sealed class CgroupUsageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hive-cgroup-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void Unified_hierarchy_reads_cpu_stat_memory_current_peak_and_pids()
    {
        Write("cgroup.controllers", "cpu memory pids\n");
        Write("hive-abc/sb/cpu.stat", "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n");
        Write("hive-abc/sb/memory.current", "5242880\n");
        Write("hive-abc/sb/memory.peak", "8388608\n");
        Write("hive-abc/sb/pids.current", "3\n");
        Assert.Equal(new CgroupReading(1234567, 5242880, 8388608, 3), CgroupUsage.Read("/hive-abc/sb", _root));
        Assert.Null(CgroupUsage.Read("/hive-abc/other", _root));
    }

    [Fact]
    public void V1_controllers_read_cpuacct_in_nanoseconds_and_memory_usage()
    {
        Write("cpu,cpuacct/hive-abc/sb/cpuacct.usage", "2000000000\n");
        Write("memory/hive-abc/sb/memory.usage_in_bytes", "1048576\n");
        Write("memory/hive-abc/sb/memory.max_usage_in_bytes", "2097152\n");
        Write("pids/hive-abc/sb/pids.current", "7\n");
        Assert.Equal(new CgroupReading(2_000_000, 1048576, 2097152, 7), CgroupUsage.Read("/hive-abc/sb", _root));
        Assert.Null(CgroupUsage.Read("/hive-abc/other", _root));
    }

    [Fact]
    public void A_cpu_stat_without_usage_is_no_reading()
    {
        Write("cgroup.controllers", "");
        Write("x/cpu.stat", "nr_periods 0\n");
        Write("x/memory.current", "1\n");
        Assert.Null(CgroupUsage.Read("/x", _root));
    }
}
