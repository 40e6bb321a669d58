using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Hive.Remote.Tests;

/// <summary>A host's approval queue in memory: the test holds requests; claims and decisions are recorded.</summary>
internal sealed class FakeApprovals : IApprovalQueue
{
    private readonly ConcurrentDictionary<string, HeldRequest> _pending = new();
    private readonly ConcurrentDictionary<string, ApprovalOutcome> _decided = new();
    private readonly ConcurrentDictionary<string, bool> _claimed = new();
    private readonly List<ChannelWriter<ApprovalChange>> _watchers = [];

    public ConcurrentQueue<(string Id, ApprovalOutcome Outcome, JsonObject Details)> Decisions { get; } = new();

    public HeldRequest Hold(string id, string sandbox = "sb1")
    {
        var held = new HeldRequest(id, sandbox, "https", "api.example.com", 443, "POST", "/v1/things", 2,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(2));
        _pending[id] = held;
        Publish(new ApprovalChange("pending", held, null));
        return held;
    }

    public IReadOnlyList<HeldRequest> Pending() => [.. _pending.Values.OrderBy(h => h.Created)];
    public HeldRequest? Find(string id) => _pending.GetValueOrDefault(id);
    public ApprovalOutcome? Decided(string id) => _decided.GetValueOrDefault(id);
    public bool TryClaim(HeldRequest held) => _pending.ContainsKey(held.Id) && _claimed.TryAdd(held.Id, true);
    public void Unclaim(HeldRequest held) => _claimed.TryRemove(held.Id, out _);
    public bool IsClaimed(string id) => _claimed.ContainsKey(id);

    public void Decide(HeldRequest held, ApprovalOutcome outcome, JsonObject details)
    {
        if (!_claimed.TryRemove(held.Id, out _)) throw new InvalidOperationException("decided without a claim");
        _pending.TryRemove(held.Id, out _);
        _decided[held.Id] = outcome;
        Decisions.Enqueue((held.Id, outcome, details));
        Publish(new ApprovalChange("decided", held, outcome));
    }

    public ApprovalWatch Watch()
    {
        var channel = Channel.CreateUnbounded<ApprovalChange>();
        lock (_watchers) _watchers.Add(channel.Writer);
        return new ApprovalWatch(channel.Reader, () =>
        {
            lock (_watchers) _watchers.Remove(channel.Writer);
            channel.Writer.TryComplete();
        });
    }

    private void Publish(ApprovalChange change)
    {
        lock (_watchers)
            foreach (var w in _watchers) w.TryWrite(change);
    }
}
