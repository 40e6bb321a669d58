using Hive.Runtime.Host;

namespace Hive.Host;

/// <summary>A sandbox's last samples, oldest first, in a fixed-size ring: the oldest is overwritten when it is full.</summary>
public sealed class UsageRing(int capacity)
{
    private readonly UsageSample[] _ring = new UsageSample[capacity];
    private int _next, _count;
    private readonly Lock _lock = new();

    public int Capacity => capacity;

    public UsageSample Add(DateTimeOffset ts, CgroupReading r)
    {
        lock (_lock)
        {
            var last = _count == 0 ? null : _ring[(_next - 1 + capacity) % capacity];
            double? percent = null;
            if (last is not null && r.CpuUsec >= last.CpuUsec && ts > last.Ts)
                percent = Math.Round((r.CpuUsec - last.CpuUsec) * 100.0 / ((ts - last.Ts).Ticks / 10.0), 2);
            var sample = new UsageSample(ts, r.CpuUsec, percent, r.MemoryBytes, r.MemoryPeakBytes, r.Pids);
            _ring[_next] = sample;
            _next = (_next + 1) % capacity;
            _count = Math.Min(_count + 1, capacity);
            return sample;
        }
    }

    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<UsageSample> Snapshot()
    {
        lock (_lock)
        {
            var list = new List<UsageSample>(_count);
            for (var i = 0; i < _count; i++) list.Add(_ring[(_next - _count + i + capacity) % capacity]);
            return list;
        }
    }
}
