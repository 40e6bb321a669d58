using Hive.Core.Egress;
using Hive.Egress.Approvals;

namespace Hive.Egress.Proxy;

/// <summary>
/// Where a decision of <see cref="EgressVerdict.Ask"/> branches off the proxy's path: the request (or raw flow) waits
/// in <see cref="EgressApprovals"/> with nothing sent upstream, and comes back allowed, or with the 403 text to answer.
/// </summary>
public static class ApprovalHold
{
    /// <summary>Holds an HTTP request. Allowed: the decision to forward it with. Otherwise: the refusal to answer with.</summary>
    public static async Task<(EgressDecision Decision, string? Refusal)> RequestAsync(EgressApprovals? approvals, EgressConnection conn,
        string method, string path, EgressDecision asked, CancellationToken aborted)
    {
        var what = $"{method} {conn.Origin}{path}";
        if (approvals is null) return (Denied(asked, "asking a person is not available"), $"Hive denied {what}: asking a person is not available here.\n");
        var outcome = await approvals.HoldAsync(conn.Sandbox, conn.Tls ? "https" : "http", conn.Host, conn.Port, method, path, asked, aborted);
        return Answer(outcome, asked, conn, what, method, path);
    }

    /// <summary>Holds a raw flow (TCP, or TLS that is not HTTP) by host and port: the allowed decision, or null (refused, and recorded).</summary>
    public static async Task<EgressDecision?> FlowAsync(EgressApprovals? approvals, IHostEventSink events, EgressConnection conn, string method,
        EgressDecision asked, CancellationToken aborted)
    {
        var outcome = approvals is null
            ? new ApprovalOutcome("failed", null, "asking a person is not available")
            : await approvals.HoldAsync(conn.Sandbox, method == "TLS" ? "tls" : "tcp", conn.Host, conn.Port, method, null, asked, aborted);
        var (decision, refusal) = Answer(outcome, asked, conn, $"{method} {conn.Host}:{conn.Port}", method, null);
        if (refusal is null) return decision;
        EgressEvents.Request(events, conn, method, null, null, decision, refusal.TrimEnd('\n'));
        return null;
    }

    private static (EgressDecision, string?) Answer(ApprovalOutcome outcome, EgressDecision asked, EgressConnection conn, string what, string method, string? path)
    {
        if (outcome.Allowed)
            return (new EgressDecision(EgressVerdict.Allowed, asked.RuleIndex, $"allowed by {outcome.By} ({outcome.Reason})"), null);
        var denied = Denied(asked, outcome.Decision switch
        {
            "deny" => $"denied by {outcome.By} ({outcome.Reason})",
            "timeout" => "held for approval: " + outcome.Reason,
            _ => "held for approval, then failed: " + outcome.Reason,
        });
        var rule = path is null
            ? $"{{ \"access\": \"allow\", \"host\": \"{conn.Host}\", \"ports\": [{conn.Port}] }}"
            : $"{{ \"access\": \"allow\", \"host\": \"{conn.Host}\", \"ports\": [{conn.Port}], \"methods\": [\"{method}\"], \"paths\": [\"{path}\"] }}";
        var text = outcome.Decision switch
        {
            "deny" => $"Hive denied {what}: a person ({outcome.By}) denied it when asked.\n",
            "timeout" => $"Hive held {what} waiting for a person's approval, and {outcome.Reason}, so it is denied.\n" +
                         "To let it through, answer while it waits (`hive approvals -f`, then `hive approve ID`, or the Inspector's Approvals queue), " +
                         $"or add an allow rule before the ask rule, e.g. {rule}, and apply it with `hive config {conn.Sandbox.Name} --apply FILE`.\n",
            _ => $"Hive denied {what}: it was held for approval and {outcome.Reason}.\n",
        };
        return (denied, text);
    }

    private static EgressDecision Denied(EgressDecision asked, string reason) => new(EgressVerdict.Denied, asked.RuleIndex, reason);
}
