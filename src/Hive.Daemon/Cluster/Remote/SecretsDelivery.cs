using Hive.Core.Secrets;

namespace Hive.Daemon.Cluster.Remote;

/// <summary>
/// A remote host's secret bindings, delivered off the caller's path: <see cref="Set"/> never waits on the network
/// (it runs under the controller's secrets lock). Each sandbox has its own lane: its changes go out in order (a change
/// still waiting when a newer one comes is skipped: only the newest state matters), retried while the host is
/// unreachable; <see cref="WaitAsync"/> lets a start or a command wait until the lane is drained.
/// </summary>
/// <param name="maxWait">How long a start or command waits for its sandbox's secrets before it fails.</param>
internal sealed class SecretsDelivery(string host, Func<string, SandboxSecrets?, CancellationToken, Task> send, TimeSpan maxWait) : IDisposable
{

    private sealed class Lane
    {
        public readonly Queue<SandboxSecrets?> Queue = new();
        public bool Running;
        public TaskCompletionSource Drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string? LastError;
    }

    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxSecrets> _sent = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public void Set(string sandbox, SandboxSecrets? secrets)
    {
        lock (_lanes)
        {
            if (secrets is null) _sent.Remove(sandbox);
            else _sent[sandbox] = secrets;
            if (!_lanes.TryGetValue(sandbox, out var lane)) _lanes[sandbox] = lane = new Lane();
            lane.Queue.Enqueue(secrets);
            if (lane.Running) return;
            lane.Running = true;
            if (lane.Drained.Task.IsCompleted) lane.Drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = Task.Run(() => PumpAsync(sandbox, lane));
        }
    }

    /// <summary>What was last set for the sandbox (the controller knows what it sent; the host is never asked).</summary>
    public IReadOnlyList<string> Values(string sandbox)
    {
        lock (_lanes) return _sent.TryGetValue(sandbox, out var s) ? [.. s.ValuesToRedact] : [];
    }

    /// <summary>Waits until every change set so far for <paramref name="sandbox"/> reached the host.</summary>
    public async Task WaitAsync(string sandbox, CancellationToken ct)
    {
        Task drained;
        Lane lane;
        lock (_lanes)
        {
            if (!_lanes.TryGetValue(sandbox, out lane!) || !lane.Running) return;
            drained = lane.Drained.Task;
        }
        try
        {
            await drained.WaitAsync(maxWait, ct);
        }
        catch (TimeoutException)
        {
            throw new HostException(HostErrorKind.Unavailable, "Host unavailable",
                $"the secrets of sandbox {sandbox} could not be delivered to host {host} within {maxWait.TotalSeconds:0} s ({lane.LastError ?? "still sending"}); " +
                "nothing was started with stale secrets");
        }
    }

    private async Task PumpAsync(string sandbox, Lane lane)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            SandboxSecrets? next;
            int taken;
            lock (_lanes)
            {
                if (lane.Queue.Count == 0 || _stopping.IsCancellationRequested)
                {
                    lane.Running = false;
                    lane.Drained.TrySetResult();
                    return;
                }
                while (lane.Queue.Count > 1) lane.Queue.Dequeue();
                next = lane.Queue.Peek();
                taken = 1;
            }
            try
            {
                await send(sandbox, next, _stopping.Token);
                lock (_lanes)
                {
                    // Only what was sent leaves the queue: a newer change set meanwhile waits behind it.
                    for (var i = 0; i < taken && lane.Queue.Count > 0; i++) lane.Queue.Dequeue();
                    lane.LastError = null;
                }
                delay = TimeSpan.FromMilliseconds(100);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                lock (_lanes)
                {
                    lane.Running = false;
                    lane.Drained.TrySetResult();
                }
                return;
            }
            catch (Exception e)
            {
                lane.LastError = e.Message;
                try { await Task.Delay(delay, _stopping.Token); }
                catch (OperationCanceledException) { }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
    }
}
