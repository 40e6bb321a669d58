namespace Hive.Daemon.Settings;

/// <summary>
/// How much of the event log the daemon keeps (daemon.json <c>events</c>): events older than <see cref="RetentionDays"/>
/// and, past <see cref="MaxSizeMb"/> of database, the oldest events are deleted. 0 turns a limit off.
/// </summary>
public sealed record EventRetentionSettings(double RetentionDays, long MaxSizeMb)
{
    public const double DefaultRetentionDays = 30;
    public const long DefaultMaxSizeMb = 2048;
    public const long MinSizeMb = 16;

    public static EventRetentionSettings Default { get; } = new(DefaultRetentionDays, DefaultMaxSizeMb);

    public TimeSpan? MaxAge => RetentionDays > 0 ? TimeSpan.FromDays(RetentionDays) : null;
    public long? MaxBytes => MaxSizeMb > 0 ? MaxSizeMb * 1024 * 1024 : null;
}
