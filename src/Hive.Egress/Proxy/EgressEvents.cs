using System.Text.Json.Nodes;
using Hive.Core.Egress;

namespace Hive.Egress.Proxy;

/// <summary>The egress.request / egress.response pair and the secret.* events (SPEC §5). Secret and override values never reach an event.</summary>
public static class EgressEvents
{
    public static long Request(IEgressEventSink sink, EgressConnection c, string method, string? path, string? query,
        EgressDecision decision, string? reason = null, IReadOnlyList<string>? secrets = null, bool? denied = null)
    {
        var names = new JsonArray();
        if (secrets is not null) foreach (var s in secrets) names.Add(s);
        var data = new JsonObject
        {
            ["access"] = (denied ?? !decision.IsAllowed) ? "denied" : "allowed",
            ["host"] = c.Host,
            ["port"] = c.Port,
            ["method"] = method,
            ["path"] = path,
            ["query"] = query,
            ["rule"] = decision.RuleIndex,
            ["reason"] = reason ?? decision.Reason,
            ["secrets"] = names,
        };
        return sink.Append(c.Sandbox.Name, "egress.request", data);
    }

    public static void Response(IEgressEventSink sink, EgressConnection c, long requestId, int status, long durationMs, long bytesIn, long bytesOut, string? error = null)
    {
        var data = new JsonObject
        {
            ["requestId"] = requestId,
            ["status"] = status,
            ["durationMs"] = durationMs,
            ["bytesIn"] = bytesIn,
            ["bytesOut"] = bytesOut,
        };
        if (error is not null) data["error"] = error;
        sink.Append(c.Sandbox.Name, "egress.response", data);
    }

    /// <summary>
    /// <c>secret.used</c>, <c>secret.misuse</c> or <c>secret.revoked</c>: one per secret and request. It is also the
    /// secret's activity record (time, sandbox, method, host, path, status, upstream status, latency, error).
    /// </summary>
    public static void Secret(IEgressEventSink sink, EgressConnection c, string type, string secret, long requestId, string method, string path,
        int status, int? upstreamStatus, long durationMs, string? error = null, bool injected = false)
    {
        var data = new JsonObject
        {
            ["secret"] = secret,
            ["host"] = c.Host,
            ["path"] = path,
            ["status"] = status,
            ["method"] = method,
            ["requestId"] = requestId,
            ["upstreamStatus"] = upstreamStatus,
            ["durationMs"] = durationMs,
        };
        if (injected) data["injected"] = true;
        if (error is not null) data["error"] = error;
        sink.Append(c.Sandbox.Name, type, data);
    }
}
