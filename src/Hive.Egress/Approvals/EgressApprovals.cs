using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Hive.Core.Egress;
using Hive.Core.Events;

namespace Hive.Egress.Approvals;

/// <summary>
/// The requests the proxy holds for a person (docs/egress.md, "Asking a person"): only requests an <c>ask</c> rule or
/// <c>egressDefault: ask</c> sends here; allowed and denied ones never touch it. Held in memory only: a daemon restart
/// fails them closed (<see cref="FailAll"/>), so nothing held is ever forwarded later.
/// </summary>
public sealed class EgressApprovals(IHostEventSink events, TimeProvider? clock = null) : IApprovalQueue
{
    /// <summary>Decided ids kept to answer a second decision with 409 rather than 404.</summary>
    private const int RememberedDecisions = 4096;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, HeldRequest> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HeldRequest> _byKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ApprovalOutcome> _decided = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _decidedOrder = new();
    private readonly Lock _gate = new();
    private readonly List<Channel<ApprovalChange>> _watchers = [];
    private volatile bool _closed;


    /// <summary>Requests waiting now, oldest first.</summary>
    public IReadOnlyList<HeldRequest> Pending() => [.. _byId.Values.Where(h => !h.IsDone).OrderBy(h => h.Created)];

    public HeldRequest? Find(string id) => _byId.TryGetValue(id, out var held) && !held.IsDone ? held : null;

    /// <summary>How a request that is no longer waiting ended; null when the id was never seen (or long forgotten).</summary>
    public ApprovalOutcome? Decided(string id) => _decided.GetValueOrDefault(id);

    /// <summary>
    /// Holds one request until a person decides, it times out, the waiter goes away (<paramref name="aborted"/>), the
    /// sandbox is removed or the daemon stops. An identical request already waiting is joined, and gets its answer.
    /// </summary>
    public async Task<ApprovalOutcome> HoldAsync(SandboxEgress sandbox, string kind, string host, int port, string method, string? path,
        EgressDecision decision, CancellationToken aborted)
    {
        if (_closed) return new ApprovalOutcome("failed", null, "the daemon is stopping");
        var key = HeldRequest.MakeKey(sandbox.Name, kind, host, port, method, path);
        HeldRequest held;
        bool created;
        lock (_gate)
        {
            created = !_byKey.TryGetValue(key, out held!) || held.IsDone;
            if (created)
            {
                var now = _clock.GetUtcNow();
                held = new HeldRequest(NewId(), sandbox.Name, kind, host, port, method, path, decision.RuleIndex, now, now.AddSeconds(sandbox.AskTimeout));
                _byKey[key] = held;
                _byId[held.Id] = held;
            }
            held.Join();
        }
        if (created)
        {
            events.Append(held.Sandbox, EventTypes.EgressApproval, held.EventData().ToJsonString());
            Publish(new ApprovalChange("pending", held, null));
        }
        try
        {
            while (true)
            {
                var left = held.ExpiresAt - _clock.GetUtcNow();
                if (left > TimeSpan.Zero)
                {
                    try
                    {
                        await held.Outcome.WaitAsync(left, _clock, aborted);
                    }
                    catch (TimeoutException) { }
                }
                if (held.Outcome.IsCompleted) return await held.Outcome;
                // Expired: time it out, unless a decider holds it (its config apply is running): then wait for it.
                if (Complete(held, new ApprovalOutcome("timeout", null,
                        $"nobody decided within {(int)(held.ExpiresAt - held.Created).TotalSeconds} s (askTimeout)"), claimed: false))
                    return await held.Outcome;
                if (held.IsDone) return await held.Outcome;
                await Task.WhenAny(held.Outcome, Task.Delay(TimeSpan.FromMilliseconds(200), aborted));
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return new ApprovalOutcome("failed", null, "the sandbox closed the connection");
        }
        finally
        {
            // The last waiter gone (the sandbox gave up): nobody is left to answer.
            if (held.Leave() == 0 && !held.IsDone)
                Complete(held, new ApprovalOutcome("failed", null, "the sandbox closed the connection before a decision"), claimed: false);
        }
    }

    /// <summary>Reserves a waiting request for a decision that first applies a config; false when it is not waiting.</summary>
    public bool TryClaim(HeldRequest held) => held.TryClaim();

    /// <summary>Gives a claimed request back (the apply failed): it waits again, and times out if its time is past.</summary>
    public void Unclaim(HeldRequest held) => held.Unclaim();

    /// <summary>Answers a request a decider claimed with <see cref="TryClaim"/>.</summary>
    public void Decide(HeldRequest held, ApprovalOutcome outcome, JsonObject details) =>
        Complete(held, outcome, claimed: true, details);

    /// <summary>Fails every request a sandbox has waiting: it was stopped or removed.</summary>
    public void FailSandbox(string sandbox, string reason)
    {
        foreach (var held in _byId.Values)
            if (held.Sandbox == sandbox) Fail(held, reason);
    }

    /// <summary>Fails every waiting request, and every later one: the daemon is stopping.</summary>
    public void FailAll(string reason)
    {
        _closed = true;
        foreach (var held in _byId.Values) Fail(held, reason);
        lock (_gate)
            foreach (var w in _watchers) w.Writer.TryComplete();
    }

    private void Fail(HeldRequest held, string reason)
    {
        // A claimed one too: its decider's apply may still land, but the request must not wait for it.
        if (!Complete(held, new ApprovalOutcome("failed", null, reason), claimed: false))
            Complete(held, new ApprovalOutcome("failed", null, reason), claimed: true);
    }

    private bool Complete(HeldRequest held, ApprovalOutcome outcome, bool claimed, JsonObject? details = null)
    {
        if (!held.TryComplete(outcome, claimed)) return false;
        lock (_gate)
        {
            _byId.TryRemove(held.Id, out _);
            if (_byKey.TryGetValue(held.Key, out var current) && current == held) _byKey.TryRemove(held.Key, out _);
        }
        _decided[held.Id] = outcome;
        _decidedOrder.Enqueue(held.Id);
        while (_decidedOrder.Count > RememberedDecisions && _decidedOrder.TryDequeue(out var old)) _decided.TryRemove(old, out _);

        var data = new JsonObject
        {
            ["approval"] = held.Id,
            ["decision"] = outcome.Decision,
            ["by"] = outcome.By,
            ["reason"] = outcome.Reason,
            ["host"] = held.Host,
            ["port"] = held.Port,
            ["method"] = held.Method,
            ["path"] = held.Path,
            ["waiters"] = held.Waiters,
        };
        if (details is not null)
            foreach (var (k, v) in details) data[k] = v?.DeepClone();
        events.Append(held.Sandbox, EventTypes.EgressApprovalDecided, data.ToJsonString());
        Publish(new ApprovalChange("decided", held, outcome));
        return true;
    }

    /// <summary>Follows changes (new held requests, decisions) from now on; dispose to stop.</summary>
    public ApprovalWatch Watch()
    {
        var channel = Channel.CreateBounded<ApprovalChange>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            if (_closed) channel.Writer.TryComplete();
            else _watchers.Add(channel);
        }
        return new ApprovalWatch(channel.Reader, () => { lock (_gate) _watchers.Remove(channel); });
    }

    private void Publish(ApprovalChange change)
    {
        lock (_gate)
            foreach (var w in _watchers) w.Writer.TryWrite(change);
    }

    private static string NewId() => ApprovalIds.Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
