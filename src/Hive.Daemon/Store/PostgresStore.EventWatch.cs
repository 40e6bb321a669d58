using Npgsql;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    public IDisposable? WatchEvents(Action<long> stored) => new EventWatch(_db, stored);

    /// <summary>
    /// LISTENs on <see cref="EventChannel"/> on a connection of its own and calls back with each notification's last id.
    /// After each (re)connection it calls back once too: a notification sent while it was away is not queued for it, so the caller
    /// reads the log from where it was instead.
    /// </summary>
    private sealed class EventWatch : IDisposable
    {
        private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
        private readonly NpgsqlDataSource _db;
        private readonly Action<long> _stored;
        private readonly Thread _thread;
        private volatile bool _stopping;

        public EventWatch(NpgsqlDataSource db, Action<long> stored)
        {
            _db = db;
            _stored = stored;
            _thread = new Thread(Run) { IsBackground = true, Name = "hive-event-listen" };
            _thread.Start();
        }

        private void Run()
        {
            var backoff = TimeSpan.FromMilliseconds(100);
            while (!_stopping)
            {
                try
                {
                    using var c = _db.OpenConnection();
                    c.Notification += (_, n) => _stored(long.TryParse(n.Payload, out var last) ? last : long.MaxValue);
                    using (var listen = new NpgsqlCommand($"LISTEN {EventChannel}", c)) listen.ExecuteNonQuery();
                    backoff = TimeSpan.FromMilliseconds(100);
                    _stored(long.MaxValue);
                    while (!_stopping) c.Wait(Poll);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or System.IO.IOException)
                {
                    if (_stopping) return;
                    Thread.Sleep(backoff);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                }
            }
        }

        public void Dispose()
        {
            _stopping = true;
            _thread.Join(Poll * 3);
        }
    }
}
