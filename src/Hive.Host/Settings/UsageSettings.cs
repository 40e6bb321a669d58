namespace Hive.Host.Settings;

/// <summary>
/// How each running sandbox's cgroup is sampled (daemon.json <c>usage</c>): every <see cref="IntervalSeconds"/>, the last
/// <see cref="Samples"/> readings kept per sandbox (the defaults: every 5 s for the last hour).
/// </summary>
public sealed record UsageSettings(double IntervalSeconds, int Samples)
{
    public const double DefaultIntervalSeconds = 5;
    public const int DefaultSamples = 720;
    public const double MinIntervalSeconds = 0.1, MaxIntervalSeconds = 3600;
    public const int MaxSamples = 100_000;

    public static UsageSettings Default { get; } = new(DefaultIntervalSeconds, DefaultSamples);

    public TimeSpan Interval => TimeSpan.FromSeconds(IntervalSeconds);
}
