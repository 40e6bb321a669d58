using System.Text.Json.Nodes;
using Hive.Core.Egress;

namespace Hive.Egress.Proxy;

/// <summary>The egress.request / egress.response pair (SPEC §5). Override values never reach an event.</summary>
public static class EgressEvents
{
    public static long Request(IEgressEventSink sink, EgressConnection c, string method, string? path, string? query,
        EgressDecision decision, string? reason = null)
    {
        var data = new JsonObject
        {
            ["access"] = decision.IsAllowed ? "allowed" : "denied",
            ["host"] = c.Host,
            ["port"] = c.Port,
            ["method"] = method,
            ["path"] = path,
            ["query"] = query,
            ["rule"] = decision.RuleIndex,
            ["reason"] = reason ?? decision.Reason,
            ["secrets"] = new JsonArray(),
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
}
