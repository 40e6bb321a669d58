using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Hive.Daemon.Cluster;

/// <summary>
/// Held requests of every live host as one queue: lists merge (oldest first), and a request is claimed and decided on
/// the host that holds it. Ids are random (<c>apr_</c> and 64 bits), so one id names one host's request.
/// </summary>
public sealed class ClusterApprovals(Func<IEnumerable<ISandboxHost>> hosts) : IApprovalQueue
{
    private readonly ConcurrentDictionary<string, IApprovalQueue> _owners = new(StringComparer.Ordinal);

    public IReadOnlyList<HeldRequest> Pending()
    {
        var all = new List<HeldRequest>();
        foreach (var queue in Queues())
            foreach (var held in Safe(queue.Pending, []))
            {
                _owners[held.Id] = queue;
                all.Add(held);
            }
        return [.. all.OrderBy(h => h.Created)];
    }

    public HeldRequest? Find(string id)
    {
        if (_owners.TryGetValue(id, out var known) && Safe(() => known.Find(id), null) is { } held) return held;
        foreach (var queue in Queues())
            if (Safe(() => queue.Find(id), null) is { } found)
            {
                _owners[id] = queue;
                return found;
            }
        return null;
    }

    public ApprovalOutcome? Decided(string id)
    {
        if (_owners.TryGetValue(id, out var known) && Safe(() => known.Decided(id), null) is { } outcome) return outcome;
        foreach (var queue in Queues())
            if (Safe(() => queue.Decided(id), null) is { } o) return o;
        return null;
    }

    public bool TryClaim(HeldRequest held) => Owner(held)?.TryClaim(held) ?? false;

    public void Unclaim(HeldRequest held) => Owner(held)?.Unclaim(held);

    public void Decide(HeldRequest held, ApprovalOutcome outcome, JsonObject details)
    {
        var owner = Owner(held) ?? throw HostException.NotFound($"held request {held.Id} is not held by any live host");
        owner.Decide(held, outcome, details);
        _owners.TryRemove(held.Id, out _);
    }

    /// <summary>Follows the hosts live when the watch starts.</summary>
    public ApprovalWatch Watch()
    {
        var merged = Channel.CreateUnbounded<ApprovalChange>();
        var watches = Queues().Select(q => (Queue: q, Watch: Safe(q.Watch, null))).Where(w => w.Watch is not null).ToList();
        var cts = new CancellationTokenSource(); // not disposed: the forwarding tasks may still read its token after the stop
        foreach (var (queue, watch) in watches)
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var change in watch!.Reader.ReadAllAsync(cts.Token))
                    {
                        _owners[change.Request.Id] = queue;
                        await merged.Writer.WriteAsync(change, cts.Token);
                    }
                }
                catch (OperationCanceledException) { }
                catch (ChannelClosedException) { }
            });
        return new ApprovalWatch(merged.Reader, () =>
        {
            cts.Cancel();
            foreach (var (_, watch) in watches) watch!.Dispose();
            merged.Writer.TryComplete();
        });
    }

    private IApprovalQueue? Owner(HeldRequest held) =>
        _owners.TryGetValue(held.Id, out var q) ? q : Find(held.Id) is not null ? _owners.GetValueOrDefault(held.Id) : null;

    private IEnumerable<IApprovalQueue> Queues() => hosts().Select(h => h.Approvals);

    /// <summary>A host that cannot answer now is left out of the list rather than failing it.</summary>
    private static T Safe<T>(Func<T> read, T fallback)
    {
        try { return read(); }
        catch (HostException e) when (e.Kind is HostErrorKind.Unavailable or HostErrorKind.Timeout) { return fallback; }
    }
}
