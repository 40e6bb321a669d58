using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Daemon.Events;
using Hive.Daemon.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

/// <summary>One model call with its request and response bodies, as the proxy kept them (redacted, bounded: docs/api.md).</summary>
public static class LlmCallEndpoints
{
    private static readonly EventTypeFilter LlmCalls = EventTypeFilter.Parse(EventTypes.LlmCall);

    public static void MapLlmCalls(this IEndpointRouteBuilder app)
    {
        // Like the events, a call outlives its sandbox: no check that the sandbox still exists.
        app.MapGet("/v1/sandboxes/{name}/llm-calls/{id}", (string name, string id, EventBus bus, IHiveStore store) =>
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var eventId) || eventId < 1)
                throw ApiProblem.BadRequest("id: must be the id of an llm.call event (a positive integer)");
            var found = bus.Read(name, eventId - 1, 1, LlmCalls);
            if (found.Count == 0 || found[0].Id != eventId) throw ApiProblem.NotFound($"sandbox {name} has no llm.call event {eventId}");
            var call = found[0];
            var requestId = JsonNode.Parse(call.Data)?["requestId"]?.GetValue<long>();
            var bodies = requestId is { } r ? store.FindLlmBodies(name, r) : null;
            var o = new JsonObject
            {
                ["call"] = JsonNode.Parse(EventBus.ToJson(call)),
                ["request"] = Body(bodies?.Request),
                ["response"] = Body(bodies?.Response),
            };
            return Results.Text(o.ToJsonString(), "application/json");
        }).WithTags("Events").WithSummary("One llm.call event of the sandbox with its request and response bodies (secrets as stand-ins, override values as ***, at most 1 MiB each); request and response are null when no body was kept (pruned with the event log, or recorded before bodies were kept)");
    }

    private static JsonObject? Body(LlmBody? body) => body is null ? null : new JsonObject
    {
        ["contentType"] = body.ContentType,
        ["bytes"] = body.Bytes,
        ["truncated"] = body.Truncated,
        ["body"] = body.Text,
    };
}
