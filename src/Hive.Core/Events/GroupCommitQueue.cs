namespace Hive.Core.Events;

/// <summary>
/// Group commit: callers queue items, and one writer thread takes everything queued as one batch and commits it with
/// one call of the commit step (one transaction), then completes the batch's <see cref="Pending.Committed"/> task, or
/// fails it with the commit's exception. When nobody waits, the writer lets a batch gather for the gather window first;
/// a caller about to wait calls <see cref="Hurry"/> (or <see cref="Flush"/>), which cuts the window short.
/// Callers queue under the queue's lock (<see cref="Open"/>), so what they number there (ids, seqs) is numbered in the
/// order of the batches. The event log's write side (EventBus) and a host's outbox (EventOutbox) are built on it.
/// </summary>
public sealed class GroupCommitQueue<T>
{
    private readonly Lock _gate = new();
    private readonly Action<List<T>> _commit;
    private readonly TimeSpan _gatherWindow;
    private readonly int _maxCapacity;
    private List<T> _pending = [];
    private TaskCompletionSource _pendingCommitted = NewCompletion();
    private Task _inFlight = Task.CompletedTask; // the batch the writer took from _pending and is committing
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ManualResetEventSlim _hurry = new(false, spinCount: 1);
    private readonly Thread _writer;
    private volatile bool _stopping;

    /// <param name="threadName">The writer thread's name (benchmarks find the thread by it).</param>
    /// <param name="gatherWindow">How long a batch gathers when nobody waits for it.</param>
    /// <param name="maxCapacity">The next pending list is made with room for twice the last batch, at most this many.</param>
    /// <param name="commit">Stores a batch, on the writer thread; what it throws reaches whoever waits for the batch.</param>
    public GroupCommitQueue(string threadName, TimeSpan gatherWindow, int maxCapacity, Action<List<T>> commit)
    {
        _commit = commit;
        _gatherWindow = gatherWindow;
        _maxCapacity = maxCapacity;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = threadName };
        _writer.Start();
    }

    /// <summary>
    /// Takes the queue's lock until the returned <see cref="Pending"/> is disposed: add items through it, and number them
    /// there. Keep it short: the writer takes the same lock to take a batch.
    /// </summary>
    public Pending Open()
    {
        _gate.Enter();
        return new Pending(this);
    }

    /// <summary>The batch being gathered, under the queue's lock (<see cref="Open"/>).</summary>
    public readonly ref struct Pending
    {
        private readonly GroupCommitQueue<T> _queue;

        internal Pending(GroupCommitQueue<T> queue) => _queue = queue;

        /// <summary>Completes once the batch the items added now belong to is committed; fails if its commit failed.</summary>
        public Task Committed => _queue._pendingCommitted.Task;

        public void Add(T item)
        {
            _queue._pending.Add(item);
            if (_queue._pending.Count == 1) _queue._wake.Release();
        }

        public void Dispose() => _queue._gate.Exit();
    }

    /// <summary>Ends the gather window now: someone waits for the batch.</summary>
    public void Hurry() => _hurry.Set();

    /// <summary>Waits until everything queued so far is committed (throws what a failed commit threw).</summary>
    public void Flush()
    {
        Task? committed = null;
        Task inFlight;
        lock (_gate)
        {
            inFlight = _inFlight;
            if (_pending.Count > 0) committed = _pendingCommitted.Task;
        }
        inFlight.Wait(); // a batch already taken from the queue is not in _pending but may not be stored yet
        if (committed is null) return;
        _hurry.Set();
        committed.Wait();
    }

    private void WriteLoop()
    {
        while (true)
        {
            _wake.Wait();
            if (!_stopping) _hurry.Wait(_gatherWindow);
            _hurry.Reset();
            List<T> batch;
            TaskCompletionSource done;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    if (_stopping) return;
                    continue;
                }
                batch = _pending;
                done = _pendingCommitted;
                _inFlight = done.Task;
                _pending = new List<T>(Math.Min(batch.Count * 2, _maxCapacity));
                _pendingCommitted = NewCompletion();
            }
            try
            {
                _commit(batch);
                done.SetResult();
            }
            catch (Exception ex)
            {
                // The commit failed (say the disk is full or gone): the batch is lost, and said so to whoever waits for it.
                done.SetException(ex);
            }
            lock (_gate)
                if (_pending.Count > 0) _wake.Release();
        }
    }

    private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Commits what is queued and stops the writer (waiting for it at most 5 s).</summary>
    public void Stop()
    {
        Flush();
        _stopping = true;
        _wake.Release();
        _hurry.Set();
        _writer.Join(TimeSpan.FromSeconds(5));
    }
}
