namespace Hive.Host.Abstractions;

/// <summary>
/// One sample of a sandbox's cgroup. <see cref="CpuPercent"/> is the CPU time used since the previous sample over the
/// time between them (100 = one core busy); null for the first sample and after the counter restarted (a restart).
/// </summary>
public sealed record UsageSample(DateTimeOffset Ts, long CpuUsec, double? CpuPercent, long MemoryBytes, long? MemoryPeakBytes, long Pids);

/// <summary>What the host kept of a sandbox's usage: how often it samples, how many samples it keeps, and the samples.</summary>
public sealed record UsageHistory(TimeSpan Interval, int Capacity, IReadOnlyList<UsageSample> Samples);
