namespace Hive.Core.Config;

public sealed record Resources(double Cpus, int MemoryMb, int Pids)
{
    public static Resources Default { get; } = new(1.0, 1024, 512);
}
