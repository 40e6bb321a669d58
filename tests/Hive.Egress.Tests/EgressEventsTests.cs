using System.Text.Json.Nodes;
using Hive.Core.Config;
using Hive.Core.Egress;
using Hive.Egress.Dns;
using Hive.Egress.Proxy;

namespace Hive.Egress.Tests;

/// <summary>
/// The event data written field by field must be the same text the JsonObject-built events gave (docs/events.md field
/// names, order, nulls, escaping), and values that are redacted before they reach the event stay redacted.
/// </summary>
public class EgressEventsTests
{
    private static readonly EgressDecision Allow = new(EgressVerdict.Allowed, 2, "egress rule 2 allows it");
    private static readonly EgressDecision DefaultDeny = new(EgressVerdict.Denied, null, "no egress rule allows it");

    /// <summary>What EgressEvents.Request built before it wrote JSON itself.</summary>
    private static string OldRequest(string host, int port, string method, string? path, string? query,
        EgressDecision decision, string? reason = null, IReadOnlyList<string>? secrets = null, bool? denied = null)
    {
        var names = new JsonArray();
        if (secrets is not null) foreach (var s in secrets) names.Add(s);
        return new JsonObject
        {
            ["access"] = (denied ?? !decision.IsAllowed) ? "denied" : "allowed",
            ["host"] = host,
            ["port"] = port,
            ["method"] = method,
            ["path"] = path,
            ["query"] = query,
            ["rule"] = decision.RuleIndex,
            ["reason"] = reason ?? decision.Reason,
            ["secrets"] = names,
        }.ToJsonString();
    }

    public static TheoryData<string, int, string, string?, string?, bool, string?, string[]?, bool?> Requests => new()
    {
        { "api.example.test", 443, "GET", "/v1/models", null, true, null, null, null },
        { "api.example.test", 8443, "POST", "/v1/chat", "a=1&b=%2F", true, null, ["openai", "github"], null },
        { "10.0.0.1", 80, "DELETE", "/x", "", false, null, null, null },
        { "api.example.test", 443, "TLS", null, null, false, "TLS server name evil.test does not match the destination api.example.test", null, null },
        { "api.example.test", 443, "GET", "/a", null, true, "misuse: the stand-in of secret k was sent to x", null, true },
        // Characters the default encoder escapes: quotes, HTML-sensitive ones, control characters, non-ASCII.
        { "xn--bcher-kva.test", 443, "GET", "/p\"<script>&'+\\", "q=\u00e9\u4e2d\ud83d\ude00&t=\t\n", true, "r\u0001\u007f", ["n\"ame"], null },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Request_data_is_what_the_json_object_gave(string host, int port, string method, string? path, string? query,
        bool allowed, string? reason, string[]? secrets, bool? denied)
    {
        var decision = allowed ? Allow : DefaultDeny;
        Assert.Equal(OldRequest(host, port, method, path, query, decision, reason, secrets, denied),
            EgressEvents.RequestData(host, port, method, path, query, decision, reason, secrets, denied));
    }

    [Theory]
    [InlineData(1L, 200, 3L, 0L, 512L, null)]
    [InlineData(long.MaxValue, 502, 15000L, 1L << 40, 0L, "upstream api.example.test:443 failed: Connection refused \"x\" <y>")]
    [InlineData(7L, 0, 0L, 0L, 0L, "")]
    public void Response_data_is_what_the_json_object_gave(long id, int status, long ms, long bytesIn, long bytesOut, string? error)
    {
        var old = new JsonObject { ["requestId"] = id, ["status"] = status, ["durationMs"] = ms, ["bytesIn"] = bytesIn, ["bytesOut"] = bytesOut };
        if (error is not null) old["error"] = error;
        Assert.Equal(old.ToJsonString(), EgressEvents.ResponseData(id, status, ms, bytesIn, bytesOut, error));
    }

    [Theory]
    [InlineData("openai", 200, null, null, false)]
    [InlineData("openai", 502, 503, "upstream failed: ***", true)]
    [InlineData("gh\u00e9", 403, null, "misuse: the stand-in of secret gh was sent to evil.test", false)]
    public void Secret_data_is_what_the_json_object_gave(string secret, int status, int? upstream, string? error, bool injected)
    {
        var old = new JsonObject
        {
            ["secret"] = secret,
            ["host"] = "api.example.test",
            ["path"] = "/v1/x",
            ["status"] = status,
            ["method"] = "POST",
            ["requestId"] = 41L,
            ["upstreamStatus"] = upstream,
            ["durationMs"] = 12L,
        };
        if (injected) old["injected"] = true;
        if (error is not null) old["error"] = error;
        Assert.Equal(old.ToJsonString(),
            EgressEvents.SecretData(secret, "api.example.test", 41, "POST", "/v1/x", status, upstream, 12, error, injected));
    }

    [Fact]
    public void An_override_value_in_the_query_stays_redacted_in_the_event()
    {
        const string key = "sk-live-SECRET/42+x&y=z";
        var overrides = new OverrideApplier(new EgressOverride
        {
            Query = new Dictionary<string, string> { ["api_key"] = key },
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Authorization"] = "Bearer " + key },
        });
        var sent = "a=1&api_key=" + Uri.EscapeDataString(key) + "&b=" + Uri.EscapeDataString(key);
        var query = OverrideApplier.RedactQuery(sent, overrides);
        var data = EgressEvents.RequestData("api.example.test", 443, "GET", "/v1", query, Allow);

        Assert.Equal(OldRequest("api.example.test", 443, "GET", "/v1", query, Allow), data);
        Assert.DoesNotContain("SECRET", data);
        Assert.Contains(OverrideApplier.Redacted, JsonNode.Parse(data)!["query"]!.GetValue<string>());
    }

    [Fact]
    public void Events_written_one_after_another_on_a_thread_do_not_mix()
    {
        var first = EgressEvents.ResponseData(1, 200, 1, 1, 1, new string('x', 100_000)); // grows past the kept buffer
        var second = EgressEvents.ResponseData(2, 204, 0, 0, 0);
        Assert.Equal(100_000 + """{"requestId":1,"status":200,"durationMs":1,"bytesIn":1,"bytesOut":1,"error":""}""".Length, first.Length);
        Assert.Equal("{\"requestId\":2,\"status\":204,\"durationMs\":0,\"bytesIn\":0,\"bytesOut\":0}", second);
    }

    [Fact]
    public void An_event_abandoned_halfway_does_not_leak_into_the_next()
    {
        var w = Hive.Core.Events.EventJson.Begin();
        w.WriteStartArray("half"); // as if a write had thrown here
        Assert.Equal(OldRequest("h", 1, "GET", "/", null, Allow), EgressEvents.RequestData("h", 1, "GET", "/", null, Allow));
    }

    [Fact]
    public void A_lone_surrogate_is_written_as_the_json_object_wrote_it()
    {
        Assert.Equal(OldRequest("h", 1, "GET", "/\ud800x", null, Allow), EgressEvents.RequestData("h", 1, "GET", "/\ud800x", null, Allow));
    }

    [Theory]
    [InlineData("api.example.test", "A", "allowed", new byte[] { 198, 18, 0, 1 })]
    [InlineData("api.example.test", "AAAA", "allowed", new byte[0])]
    [InlineData("exfil.evil.test", "TXT", "nxdomain", new byte[0])]
    public void Dns_query_data_is_what_the_json_object_gave(string name, string qtype, string answer, byte[] address)
    {
        var old = new JsonObject { ["name"] = name, ["qtype"] = qtype, ["answer"] = answer };
        if (address.Length == 4) old["address"] = $"{address[0]}.{address[1]}.{address[2]}.{address[3]}";
        Assert.Equal(old.ToJsonString(), DnsResponder.QueryData(name, qtype, answer, address));
    }
}
