using System.Text.Json;
using Hive.Core.Egress;
using Hive.Core.Events;

namespace Hive.Egress.Proxy;

/// <summary>
/// The egress.request / egress.response pair and the secret.* events (docs/events.md). Secret and override values never
/// reach an event. Written field by field (<see cref="EventJson"/>): the pair is on every proxied request's path.
/// </summary>
public static class EgressEvents
{
    private static readonly JsonEncodedText Access = JsonEncodedText.Encode("access");
    private static readonly JsonEncodedText HostField = JsonEncodedText.Encode("host");
    private static readonly JsonEncodedText PortField = JsonEncodedText.Encode("port");
    private static readonly JsonEncodedText MethodField = JsonEncodedText.Encode("method");
    private static readonly JsonEncodedText PathField = JsonEncodedText.Encode("path");
    private static readonly JsonEncodedText QueryField = JsonEncodedText.Encode("query");
    private static readonly JsonEncodedText RuleField = JsonEncodedText.Encode("rule");
    private static readonly JsonEncodedText ReasonField = JsonEncodedText.Encode("reason");
    private static readonly JsonEncodedText SecretsField = JsonEncodedText.Encode("secrets");
    private static readonly JsonEncodedText RequestIdField = JsonEncodedText.Encode("requestId");
    private static readonly JsonEncodedText StatusField = JsonEncodedText.Encode("status");
    private static readonly JsonEncodedText DurationField = JsonEncodedText.Encode("durationMs");
    private static readonly JsonEncodedText BytesInField = JsonEncodedText.Encode("bytesIn");
    private static readonly JsonEncodedText BytesOutField = JsonEncodedText.Encode("bytesOut");
    private static readonly JsonEncodedText ErrorField = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText SecretField = JsonEncodedText.Encode("secret");
    private static readonly JsonEncodedText UpstreamStatusField = JsonEncodedText.Encode("upstreamStatus");
    private static readonly JsonEncodedText InjectedField = JsonEncodedText.Encode("injected");
    private static readonly JsonEncodedText Allowed = JsonEncodedText.Encode("allowed");
    private static readonly JsonEncodedText Denied = JsonEncodedText.Encode("denied");

    public static long Request(IHostEventSink sink, EgressConnection c, string method, string? path, string? query,
        EgressDecision decision, string? reason = null, IReadOnlyList<string>? secrets = null, bool? denied = null) =>
        sink.Append(c.Sandbox.Name, EventTypes.EgressRequest, RequestData(c.Host, c.Port, method, path, query, decision, reason, secrets, denied));

    /// <summary>The egress.request data object: <paramref name="query"/> must already have override values redacted.</summary>
    public static string RequestData(string host, int port, string method, string? path, string? query,
        EgressDecision decision, string? reason = null, IReadOnlyList<string>? secrets = null, bool? denied = null)
    {
        var w = EventJson.Begin();
        w.WriteString(Access, (denied ?? !decision.IsAllowed) ? Denied : Allowed);
        w.WriteString(HostField, host);
        w.WriteNumber(PortField, port);
        w.WriteString(MethodField, method);
        w.StringOrNull(PathField, path);
        w.StringOrNull(QueryField, query);
        w.NumberOrNull(RuleField, decision.RuleIndex);
        w.StringOrNull(ReasonField, reason ?? decision.Reason);
        w.WriteStartArray(SecretsField);
        if (secrets is not null)
            for (var i = 0; i < secrets.Count; i++) w.WriteStringValue(secrets[i]);
        w.WriteEndArray();
        return EventJson.End(w);
    }

    public static void Response(IHostEventSink sink, EgressConnection c, long requestId, int status, long durationMs, long bytesIn, long bytesOut, string? error = null) =>
        sink.Append(c.Sandbox.Name, EventTypes.EgressResponse, ResponseData(requestId, status, durationMs, bytesIn, bytesOut, error));

    public static string ResponseData(long requestId, int status, long durationMs, long bytesIn, long bytesOut, string? error = null)
    {
        var w = EventJson.Begin();
        w.WriteNumber(RequestIdField, requestId);
        w.WriteNumber(StatusField, status);
        w.WriteNumber(DurationField, durationMs);
        w.WriteNumber(BytesInField, bytesIn);
        w.WriteNumber(BytesOutField, bytesOut);
        if (error is not null) w.WriteString(ErrorField, error);
        return EventJson.End(w);
    }

    /// <summary>
    /// <c>secret.used</c>, <c>secret.misuse</c> or <c>secret.revoked</c>: one per secret and request. It is also the
    /// secret's activity record (time, sandbox, method, host, path, status, upstream status, latency, error).
    /// </summary>
    public static void Secret(IHostEventSink sink, EgressConnection c, string type, string secret, long requestId, string method, string path,
        int status, int? upstreamStatus, long durationMs, string? error = null, bool injected = false) =>
        sink.Append(c.Sandbox.Name, type, SecretData(secret, c.Host, requestId, method, path, status, upstreamStatus, durationMs, error, injected));

    public static string SecretData(string secret, string host, long requestId, string method, string path,
        int status, int? upstreamStatus, long durationMs, string? error = null, bool injected = false)
    {
        var w = EventJson.Begin();
        w.WriteString(SecretField, secret);
        w.WriteString(HostField, host);
        w.WriteString(PathField, path);
        w.WriteNumber(StatusField, status);
        w.WriteString(MethodField, method);
        w.WriteNumber(RequestIdField, requestId);
        w.NumberOrNull(UpstreamStatusField, upstreamStatus);
        w.WriteNumber(DurationField, durationMs);
        if (injected) w.WriteBoolean(InjectedField, true);
        if (error is not null) w.WriteString(ErrorField, error);
        return EventJson.End(w);
    }
}
