using System.Globalization;
using System.Text.Json;
using Hive.Core;
using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Daemon.Events;
using Hive.Daemon.Store;

namespace Hive.Daemon.Cluster;

/// <summary>
/// The controller's side of a host's event outbox (<c>POST /v1/cluster/events</c>): a batch is stored through the event
/// bus, and only once it is committed is its last seq acknowledged, so the host deletes nothing the controller could
/// still lose. Pushed again (a lost answer, a retry through another controller), it is stored once: the store drops what
/// it has by outbox and seq in the same transaction that raises the outbox's mark. The ids a host event names (its
/// <c>requestId</c>, an llm.call's bodies) are host seqs; the store translates them (<see cref="EventBatchIds"/>).
/// </summary>
public sealed class EventIngest(EventBus bus, IHiveStore store)
{
    /// <summary>Events one push may carry.</summary>
    public const int MaxEvents = 10_000;

    /// <summary>Parses, stores and returns the seq to acknowledge: the outbox's mark once the batch is committed.</summary>
    /// <exception cref="EventIngestException">The body is not a valid batch (nothing is stored).</exception>
    public async Task<long> IngestAsync(JsonElement body)
    {
        var (source, events) = Parse(body);
        await bus.StoreAsync(events);
        return store.HostEventMark(source);
    }

    /// <summary>The outbox a batch comes from (host name, and the outbox's own id when given) and its events, checked.</summary>
    public static (string Source, IReadOnlyList<StoredEvent> Events) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new EventIngestException("body: must be a JSON object { host, stream, events }");
        var host = RequiredString(body, "host");
        if (!IsName(host, 253, '.')) throw new EventIngestException("host: must be 1-253 letters, digits, '.', '_' or '-'");
        var source = host;
        if (body.TryGetProperty("stream", out var stream) && stream.ValueKind != JsonValueKind.Null)
        {
            if (stream.ValueKind != JsonValueKind.String || !IsName(stream.GetString()!, 64, '-'))
                throw new EventIngestException("stream: must be the outbox's id, 1-64 letters, digits, '_' or '-'");
            source = $"{host}/{stream.GetString()}";
        }
        if (!body.TryGetProperty("events", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new EventIngestException("events: must be an array of events");
        if (list.GetArrayLength() > MaxEvents) throw new EventIngestException($"events: at most {MaxEvents} per push");
        var events = new List<StoredEvent>(list.GetArrayLength());
        long previous = 0;
        var i = 0;
        foreach (var e in list.EnumerateArray())
        {
            var at = $"events[{i++}]";
            if (e.ValueKind != JsonValueKind.Object) throw new EventIngestException($"{at}: must be an object {{ seq, sandbox, type, time, data }}");
            if (!e.TryGetProperty("seq", out var seqValue) || !seqValue.TryGetInt64(out var seq) || seq < 1)
                throw new EventIngestException($"{at}.seq: must be a positive integer");
            if (seq <= previous) throw new EventIngestException($"{at}.seq: must be greater than the previous event's ({previous})");
            previous = seq;
            var sandbox = RequiredString(e, "sandbox", at);
            if (!SandboxName.IsValid(sandbox)) throw new EventIngestException($"{at}.sandbox: not a sandbox name ({SandboxName.Pattern})");
            var type = RequiredString(e, "type", at);
            if (!EventTypes.All.Contains(type)) throw new EventIngestException($"{at}.type: unknown event type '{type}'");
            var time = RequiredString(e, "time", at);
            if (!DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var ts))
                throw new EventIngestException($"{at}.time: must be an RFC 3339 time");
            if (!e.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                throw new EventIngestException($"{at}.data: must be a JSON object");
            LlmBodies? llm = null;
            if (e.TryGetProperty("llm", out var bodies) && bodies.ValueKind != JsonValueKind.Null)
            {
                if (type != EventTypes.LlmCall) throw new EventIngestException($"{at}.llm: only an llm.call carries bodies");
                llm = Bodies(bodies, $"{at}.llm");
            }
            var utc = ts.ToUniversalTime();
            events.Add(new StoredEvent(0, utc.AddTicks(-(utc.UtcTicks % 10)), sandbox, type, data.GetRawText()) { Origin = new EventOrigin(source, seq, llm) });
        }
        return (source, events);
    }

    private static LlmBodies Bodies(JsonElement o, string at)
    {
        if (o.ValueKind != JsonValueKind.Object) throw new EventIngestException($"{at}: must be an object {{ request, response }}");
        return new LlmBodies(Body(o, "request", at), Body(o, "response", at));
    }

    private static LlmBody Body(JsonElement parent, string name, string at)
    {
        var path = $"{at}.{name}";
        if (!parent.TryGetProperty(name, out var b) || b.ValueKind != JsonValueKind.Object)
            throw new EventIngestException($"{path}: must be an object {{ text, contentType, bytes, truncated }}");
        var text = RequiredString(b, "text", path);
        string? contentType = null;
        if (b.TryGetProperty("contentType", out var ct) && ct.ValueKind != JsonValueKind.Null)
            contentType = ct.ValueKind == JsonValueKind.String ? ct.GetString() : throw new EventIngestException($"{path}.contentType: must be a string or null");
        if (!b.TryGetProperty("bytes", out var bytesValue) || !bytesValue.TryGetInt64(out var bytes) || bytes < 0)
            throw new EventIngestException($"{path}.bytes: must be a non-negative integer");
        if (!b.TryGetProperty("truncated", out var cut) || cut.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new EventIngestException($"{path}.truncated: must be true or false");
        return new LlmBody(text, contentType, bytes, cut.GetBoolean());
    }

    private static string RequiredString(JsonElement o, string name, string? at = null)
    {
        if (o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s) return s;
        throw new EventIngestException($"{(at is null ? "" : at + ".")}{name}: must be a non-empty string");
    }

    private static bool IsName(string s, int max, char extra)
    {
        if (s.Length is 0 || s.Length > max) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' || c == extra)) return false;
        return true;
    }
}

/// <summary>A pushed batch that is not valid: the message names the field and what is allowed.</summary>
public sealed class EventIngestException(string message) : Exception(message);
