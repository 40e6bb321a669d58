using Hive.Daemon.Settings;
using Hive.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace Hive.Daemon.Events;

/// <summary>
/// Keeps the event log within daemon.json's <c>events</c> limits: a pass at start and then every
/// <see cref="Interval"/>, deleting the oldest events in small transactions so that event writers never wait long.
/// </summary>
/// <param name="leads">Whether this controller leads (cluster mode: only the leader prunes); null: always.</param>
public sealed class EventRetention(IHiveStore store, EventRetentionSettings settings, ILogger log, TimeProvider? time = null, Func<bool>? leads = null)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public long PruneOnce(CancellationToken ct = default)
    {
        if (settings.MaxAge is null && settings.MaxBytes is null) return 0;
        var deleted = store.PruneEvents(_time.GetUtcNow(), settings.MaxAge, settings.MaxBytes, ct);
        if (deleted > 0)
            log.LogInformation("event log: deleted {Count} events past the retention limits (now from id {First}, {Mb} MiB in use)",
                deleted, store.FirstEventId(), store.UsedBytes() / (1024 * 1024));
        return deleted;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            do
            {
                try { if (leads?.Invoke() ?? true) await Task.Run(() => PruneOnce(ct), ct); }
                catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "event log pruning failed; retrying in {Interval}", Interval); }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) { }
    }
}
