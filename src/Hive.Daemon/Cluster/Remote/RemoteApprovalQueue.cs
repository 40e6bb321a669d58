using System.Threading.Channels;
using Hive.Host.Abstractions.Wire;

namespace Hive.Daemon.Cluster.Remote;

/// <summary>
/// A remote host's held requests, as the controller's approvals API sees them. The waiting list is a mirror kept by
/// the host's watch stream (started on first use, reconnected while the host is away), so listing and following never
/// wait on the network; claiming and deciding are calls to the host, made against its real requests.
/// </summary>
internal sealed class RemoteApprovalQueue(RemoteSandboxHost host) : IApprovalQueue, IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);
    private const int DecidedKept = 1000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, HeldRequest> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApprovalOutcome> _decided = new(StringComparer.Ordinal);
    private readonly Queue<string> _decidedOrder = new();
    private readonly List<ChannelWriter<ApprovalChange>> _watchers = [];
    private readonly Dictionary<string, CancellationTokenSource> _renewals = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public IReadOnlyList<HeldRequest> Pending()
    {
        EnsureMirror();
        lock (_lock) return [.. _pending.Values.OrderBy(h => h.Created)];
    }

    public HeldRequest? Find(string id)
    {
        EnsureMirror();
        lock (_lock) return _pending.GetValueOrDefault(id);
    }

    /// <summary>Decisions the mirror saw (the last <see cref="DecidedKept"/>): enough to tell a second answer from an unknown id.</summary>
    public ApprovalOutcome? Decided(string id)
    {
        EnsureMirror();
        lock (_lock) return _decided.GetValueOrDefault(id);
    }

    /// <summary>A claim on the host is a lease: renewed here until the request is decided or unclaimed (see <see cref="RenewAsync"/>).</summary>
    public bool TryClaim(HeldRequest held)
    {
        var claim = Call(ct => host.PostAsync<WireClaim>(HostRoutes.Approval(held.Id, "claim"), null, CallTimeout, ct));
        if (!claim.Claimed) return false;
        var renewing = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        lock (_lock)
        {
            if (_renewals.Remove(held.Id, out var old))
                try { old.Cancel(); } catch (ObjectDisposedException) { }
            _renewals[held.Id] = renewing;
        }
        _ = RenewAsync(held.Id, TimeSpan.FromMilliseconds(claim.LeaseMs), renewing);
        return true;
    }

    public void Unclaim(HeldRequest held)
    {
        StopRenewing(held.Id);
        Call(async ct => { await host.PostAsync(HostRoutes.Approval(held.Id, "unclaim"), null, CallTimeout, ct); return true; });
    }

    public void Decide(HeldRequest held, ApprovalOutcome outcome, System.Text.Json.Nodes.JsonObject details)
    {
        try
        {
            Call(async ct => { await host.PostAsync(HostRoutes.Approval(held.Id, "decide"), new WireDecide(WireApprovalOutcome.From(outcome), details), CallTimeout, ct); return true; });
        }
        finally
        {
            StopRenewing(held.Id);
        }
        Forget(held.Id, outcome);
    }

    /// <summary>
    /// Keeps a claim alive while this controller decides (an apply may take long), three renewals per lease. When this
    /// process dies the renewals stop and the host releases the claim after one lease.
    /// </summary>
    private async Task RenewAsync(string id, TimeSpan lease, CancellationTokenSource renewing)
    {
        var ct = renewing.Token;
        var every = TimeSpan.FromTicks(Math.Max(lease.Ticks / 3, TimeSpan.FromMilliseconds(20).Ticks));
        try
        {
            while (true)
            {
                await Task.Delay(every, ct);
                try
                {
                    if (!(await host.PostAsync<WireFlag>(HostRoutes.Approval(id, "renew"), null, CallTimeout, ct)).Value) break; // released or decided
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The host is away or failing for now: try again; the decision reports whether the claim held.
                }
            }
        }
        catch (OperationCanceledException) { }
        lock (_lock)
            if (_renewals.GetValueOrDefault(id) == renewing) _renewals.Remove(id);
        renewing.Dispose();
    }

    private void StopRenewing(string id)
    {
        CancellationTokenSource? renewing;
        lock (_lock) _renewals.Remove(id, out renewing);
        try { renewing?.Cancel(); }
        catch (ObjectDisposedException) { } // its loop ended meanwhile
    }

    public ApprovalWatch Watch()
    {
        EnsureMirror();
        var channel = Channel.CreateUnbounded<ApprovalChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock) _watchers.Add(channel.Writer);
        return new ApprovalWatch(channel.Reader, () =>
        {
            lock (_lock) _watchers.Remove(channel.Writer);
            channel.Writer.TryComplete();
        });
    }

    public void Dispose()
    {
        _stopping.Cancel();
        lock (_lock)
            foreach (var w in _watchers) w.TryComplete();
    }

    /// <summary>
    /// The interface is synchronous (the local queue answers from memory); claiming and deciding must be the host's
    /// answer, so they block this thread for one call, bounded by <see cref="CallTimeout"/>. Only a person's decision
    /// takes this path; listing and following never block.
    /// </summary>
    private static T Call<T>(Func<CancellationToken, Task<T>> call) =>
        Task.Run(() => call(CancellationToken.None)).GetAwaiter().GetResult();

    private void EnsureMirror()
    {
        // Started on first use: until the host's list arrives (a round trip), the mirror is empty.
        lock (_lock) _loop ??= Task.Run(() => FollowAsync(_stopping.Token));
    }

    private async Task FollowAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var response = await host.OpenAsync(HostRoutes.ApprovalsWatch, ct);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                var reader = new FrameReader(body);
                var snapshot = new Dictionary<string, HeldRequest>(StringComparer.Ordinal);
                var synced = false;
                while (await reader.ReadAsync(ct) is { } frame)
                {
                    if (frame.Type != FrameType.Json) continue;
                    var change = WireJson.Read<WireApprovalChange>(frame.Payload.Span, "approval change");
                    if (!synced)
                    {
                        if (change.Type == "pending" && change.Request is { } w) snapshot[w.Id] = ApprovalWire.Read(w);
                        else if (change.Type == "synced")
                        {
                            await ResyncAsync(snapshot, ct);
                            synced = true;
                            delay = TimeSpan.FromMilliseconds(200);
                        }
                        continue;
                    }
                    Apply(change);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The host is away: the mirror keeps what it had until the host answers again.
            }
            try { await Task.Delay(delay, ct); }
            catch (OperationCanceledException) { return; }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    /// <summary>After a (re)connection: what the host holds now replaces the mirror, and watchers hear of the difference.</summary>
    private async Task ResyncAsync(Dictionary<string, HeldRequest> snapshot, CancellationToken ct)
    {
        List<HeldRequest> gone;
        lock (_lock) gone = [.. _pending.Values.Where(h => !snapshot.ContainsKey(h.Id))];
        var outcomes = new Dictionary<string, ApprovalOutcome>(StringComparer.Ordinal);
        foreach (var h in gone)
        {
            WireApprovalOutcome? outcome = null;
            try { outcome = (await host.GetAsync<WireApprovalState>(HostRoutes.Approval(h.Id), CallTimeout, ct)).Outcome; }
            catch (HostException) { }
            outcomes[h.Id] = outcome?.ToOutcome() ?? new ApprovalOutcome("failed", null, $"host {host.Name} no longer holds it (it restarted)");
        }
        lock (_lock)
        {
            foreach (var h in gone) Publish(new ApprovalChange("decided", h, Remember(h.Id, outcomes[h.Id])));
            foreach (var (id, held) in snapshot)
            {
                if (_pending.ContainsKey(id)) continue;
                _pending[id] = held;
                Publish(new ApprovalChange("pending", held, null));
            }
        }
    }

    private void Apply(WireApprovalChange change)
    {
        if (change.Request is not { } w) return;
        lock (_lock)
        {
            if (change.Type == "pending")
            {
                if (_pending.ContainsKey(w.Id)) return;
                var held = ApprovalWire.Read(w);
                _pending[w.Id] = held;
                Publish(new ApprovalChange("pending", held, null));
            }
            else if (change.Type == "decided" && change.Outcome is { } o)
            {
                var held = _pending.GetValueOrDefault(w.Id) ?? ApprovalWire.Read(w);
                _pending.Remove(w.Id);
                Publish(new ApprovalChange("decided", held, Remember(w.Id, o.ToOutcome())));
            }
        }
    }

    /// <summary>A decision made through this queue: the mirror forgets the request at once (the watch stream confirms it later).</summary>
    private void Forget(string id, ApprovalOutcome outcome)
    {
        lock (_lock)
        {
            Remember(id, outcome);
            _pending.Remove(id);
        }
    }

    private ApprovalOutcome Remember(string id, ApprovalOutcome outcome)
    {
        if (_decided.TryAdd(id, outcome))
        {
            _decidedOrder.Enqueue(id);
            while (_decidedOrder.Count > DecidedKept) _decided.Remove(_decidedOrder.Dequeue());
        }
        return outcome;
    }

    private void Publish(ApprovalChange change)
    {
        foreach (var w in _watchers) w.TryWrite(change);
    }
}
