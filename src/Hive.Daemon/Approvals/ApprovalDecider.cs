using System.Text;
using System.Text.Json.Nodes;
using Hive.Core.Config;
using Hive.Core.Egress;
using Hive.Daemon.Api;
using Hive.Daemon.Sandboxes;

namespace Hive.Daemon.Approvals;

/// <summary>
/// A person's answer to a held request. "Once" lets (or refuses) that request only; "sandbox" first adds a rule for its
/// host and port (narrowed by the person's methods/paths) through the normal config apply — a <c>config.apply</c>
/// event, the rule visible in the config — placed just before the ask rule that matched, so every rule before it still
/// wins, then answers the request.
/// </summary>
public sealed class ApprovalDecider(IApprovalQueue approvals, SandboxManager manager)
{
    public async Task<JsonObject> DecideAsync(string id, ReadOnlyMemory<byte> body, string by, CancellationToken ct)
    {
        if (!ApprovalIds.IsWellFormed(id))
            throw ApiProblem.BadRequest($"id: \"{Shorten(id)}\" is not an approval id (apr_ and 16 lower-case hex digits, as GET /v1/approvals lists them)");
        var answer = ApprovalRequestBody.Parse(body.Span);
        var held = approvals.Find(id) ?? throw NotWaiting(id);

        EgressRule? rule = null;
        if (answer.SandboxWide) rule = CheckRule(held, answer);
        if (!approvals.TryClaim(held)) throw NotWaiting(id);

        var details = new JsonObject { ["scope"] = answer.SandboxWide ? "sandbox" : "once" };
        try
        {
            if (rule is not null)
            {
                var index = 0;
                await manager.ApplyConfigAsync(held.Sandbox, current =>
                {
                    index = held.Rule is { } r ? Math.Min(r, current.Egress.Count) : current.Egress.Count;
                    var json = ConfigJson.ToJsonNode(current, redact: true);
                    ((JsonArray)json["egress"]!).Insert(index, RuleJson(rule));
                    return Encoding.UTF8.GetBytes(json.ToJsonString());
                }, ct);
                details["rule"] = RuleJson(rule);
                details["ruleIndex"] = index;
            }
        }
        catch
        {
            approvals.Unclaim(held);
            throw;
        }
        var word = answer.Allow ? "allow" : "deny";
        var reason = rule is null ? $"{word} once" : $"{word} for the sandbox: rule egress[{details["ruleIndex"]}] added";
        approvals.Decide(held, new ApprovalOutcome(word, by, reason), details);

        var result = new JsonObject { ["id"] = id, ["decision"] = word, ["by"] = by, ["reason"] = reason };
        foreach (var (k, v) in details) result[k] = v?.DeepClone();
        result["waiters"] = held.Waiters;
        return result;
    }

    /// <summary>The rule to add, checked by the config parser and checked to match the held request itself.</summary>
    private static EgressRule CheckRule(HeldRequest held, ApprovalRequestBody answer)
    {
        if (!held.IsRequest && (answer.Methods is not null || answer.Paths is not null))
            throw ApiProblem.Invalid([new ConfigError("rule", $"a held {held.Method} flow has no method or path: the rule is its host and port only")], "Invalid approval decision");
        var candidate = new JsonObject
        {
            ["access"] = answer.Allow ? "allow" : "deny",
            ["host"] = held.Host,
            ["ports"] = new JsonArray(held.Port),
        };
        if (answer.Methods is not null) candidate["methods"] = new JsonArray([.. answer.Methods.Select(m => (JsonNode)m)]);
        if (answer.Paths is not null) candidate["paths"] = new JsonArray([.. answer.Paths.Select(p => (JsonNode)p)]);
        var parsed = ConfigParser.Parse(new JsonObject { ["egress"] = new JsonArray(candidate) }.ToJsonString(), held.Sandbox);
        if (!parsed.Ok)
            throw ApiProblem.Invalid([.. parsed.Errors.Select(e => new ConfigError(e.Path.Replace("egress[0]", "rule"), e.Message))], "Invalid approval decision");
        var rule = parsed.Config!.Egress[0];
        var request = held.IsRequest
            ? new EgressRequest(EgressLayer.Http, held.Host, null, held.Port, held.Method, held.Path)
            : new EgressRequest(EgressLayer.Tcp, held.Host, null, held.Port);
        var decision = EgressPolicy.Compile([rule]).Decide(request);
        if (decision.RuleIndex != 0 || decision.NeedsHttp)
            throw new ApiProblem(422, "Rule does not match",
                $"rule: the narrowed rule would not match the held request {held.Method} {held.Host}:{held.Port}{held.Path}, so it cannot answer it; widen it, or answer once");
        return rule;
    }

    private static JsonObject RuleJson(EgressRule rule)
    {
        var o = new JsonObject { ["access"] = ConfigJson.Name(rule.Access), ["host"] = rule.Host };
        if (rule.Ports is not null) o["ports"] = new JsonArray([.. rule.Ports.Select(p => (JsonNode)p)]);
        if (rule.Methods is not null) o["methods"] = new JsonArray([.. rule.Methods.Select(m => (JsonNode)m)]);
        if (rule.Paths is not null) o["paths"] = new JsonArray([.. rule.Paths.Select(p => (JsonNode)p)]);
        return o;
    }

    private ApiProblem NotWaiting(string id) => approvals.Decided(id) is { } done
        ? ApiProblem.Conflict($"approval {id} is no longer waiting: it ended with {done.Decision}{(done.By is null ? "" : " by " + done.By)} ({done.Reason})")
        : ApiProblem.NotFound($"no held request {id}: it never existed or was forgotten (GET /v1/approvals lists the waiting ones)");

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
