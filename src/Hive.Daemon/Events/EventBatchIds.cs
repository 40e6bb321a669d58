using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Daemon.Store;

namespace Hive.Daemon.Events;

/// <summary>
/// What a store does to a batch before inserting it, as pure logic both stores share. A host's event (one with an
/// <see cref="EventOrigin"/>) is dropped when its outbox already delivered it (its seq is at or below the outbox's mark,
/// or repeats within the batch), and the <c>requestId</c> it carries (a seq of the same outbox) becomes the id that
/// event was stored with: found in this batch, or among the stored events (<see cref="OutsideRefs"/>, which the store
/// looks up first); null when it is not there (pruned). With a floor (a log several controllers write: the last id
/// stored), every kept event gets an id above it and above the previous one: its own when that is higher (a writer that
/// numbered it already), the next one otherwise (a provisional, negative id); a local event's negative <c>requestId</c>
/// (a provisional id of this batch) becomes that event's id. Local events are never dropped.
/// </summary>
public sealed class EventBatchIds
{
    private readonly IReadOnlyList<StoredEvent> _batch;
    private readonly long?[] _refs;

    public EventBatchIds(IReadOnlyList<StoredEvent> batch)
    {
        _batch = batch;
        _refs = new long?[batch.Count];
        var sources = new HashSet<string>(StringComparer.Ordinal);
        var outside = new HashSet<(string, long)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i];
            if (e.Origin is { } o)
            {
                sources.Add(o.Source);
                _refs[i] = EventRefs.RequestId(e.Data);
                // Also when the event named is in this batch: it may be one already stored, then dropped here.
                if (_refs[i] is { } r) outside.Add((o.Source, r));
            }
            else if (HasProvisionalRef(e.Data)) _refs[i] = EventRefs.RequestId(e.Data);
        }
        Sources = sources;
        OutsideRefs = outside;
    }

    private static long NextId(long given, ref long? last)
    {
        if (last is not { } l) return given;
        var id = Math.Max(given, l + 1);
        last = id;
        return id;
    }

    private static bool HasProvisionalRef(string data) => data.Contains("\"requestId\":-", StringComparison.Ordinal);

    /// <summary>The outboxes whose marks the store must read.</summary>
    public IReadOnlyCollection<string> Sources { get; }

    /// <summary>The (outbox, seq) pairs the batch's host events name: the store looks up the ids of those it has.</summary>
    public IReadOnlyCollection<(string Source, long Seq)> OutsideRefs { get; }

    public sealed record Result(
        IReadOnlyList<StoredEvent> Events,
        IReadOnlyDictionary<string, long> Marks,
        IReadOnlyList<(string Sandbox, long RequestId, LlmBodies Bodies)> Bodies);

    /// <param name="floor">The last id stored (a shared log), or null to keep the ids the events carry.</param>
    /// <param name="marks">Each source's stored mark (absent: none yet).</param>
    /// <param name="stored">The ids of <see cref="OutsideRefs"/> that are stored.</param>
    public Result Assign(long? floor, IReadOnlyDictionary<string, long> marks, IReadOnlyDictionary<(string Source, long Seq), long> stored)
    {
        var last = floor;
        var newMarks = new Dictionary<string, long>(StringComparer.Ordinal);
        var bySeq = new Dictionary<(string, long), long>();
        var provisional = new Dictionary<long, long>();
        var bodies = new List<(string, long, LlmBodies)>();
        var kept = new List<StoredEvent>(_batch.Count);
        for (var i = 0; i < _batch.Count; i++)
        {
            var e = _batch[i];
            if (e.Origin is { } o)
            {
                var mark = newMarks.TryGetValue(o.Source, out var m) ? m : marks.GetValueOrDefault(o.Source);
                if (o.Seq <= mark) continue;
                newMarks[o.Source] = o.Seq;
                var id = NextId(e.Id, ref last);
                var data = e.Data;
                long? request = null;
                if (_refs[i] is { } r)
                {
                    request = bySeq.TryGetValue((o.Source, r), out var a) ? a : stored.TryGetValue((o.Source, r), out var b) ? b : null;
                    data = EventRefs.WithRequestId(data, request);
                }
                bySeq[(o.Source, o.Seq)] = id;
                if (o.Llm is { } llm && e.Type == EventTypes.LlmCall && request is { } call) bodies.Add((e.Sandbox, call, llm));
                kept.Add(id == e.Id && ReferenceEquals(data, e.Data) ? e : e with { Id = id, Data = data });
            }
            else
            {
                var id = NextId(e.Id, ref last);
                if (e.Id < 0) provisional[e.Id] = id;
                var data = e.Data;
                if (_refs[i] is < 0 and var r) data = EventRefs.WithRequestId(data, provisional.TryGetValue(r, out var f) ? f : null);
                kept.Add(id == e.Id && ReferenceEquals(data, e.Data) ? e : e with { Id = id, Data = data });
            }
        }
        return new Result(kept, newMarks, bodies);
    }
}
