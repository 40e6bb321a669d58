using System.CommandLine;
using HiveClient;

namespace Hive.Cli.Commands;

/// <summary><c>hive approvals</c>, <c>hive approve ID</c>, <c>hive deny ID</c>: answering requests the proxy holds for a person.</summary>
internal static class ApprovalCommands
{
    public static IEnumerable<Command> Build(CliContext ctx)
    {
        yield return BuildList(ctx);
        yield return BuildDecide(ctx, allow: true);
        yield return BuildDecide(ctx, allow: false);
    }

    private static Command BuildList(CliContext ctx)
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing held requests as they arrive until Ctrl+C." };
        var sandbox = new Option<string?>("--sandbox", "-s") { Description = "Only this sandbox's held requests.", HelpName = "NAME" };
        var json = SandboxCommands.JsonOption("Print one JSON object per line.");
        var cmd = new Command("approvals", "List requests held for a person's decision (an ask rule or egressDefault: ask); answer with `hive approve ID` or `hive deny ID`.")
        {
            follow, sandbox, json,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var conn = ctx.Connection;
            var asJson = p.GetValue(json);
            if (!p.GetValue(follow))
            {
                var list = await conn.GetApprovalsAsync(p.GetValue(sandbox), ct);
                if (asJson) foreach (var a in list) ctx.Out.WriteLine(HiveJson.Serialize(a.Data));
                else if (list.Count == 0) ctx.Err.WriteLine("No requests are waiting.");
                else Output.Table(ctx, ["ID", "SANDBOX", "REQUEST", "EXPIRES"], list.Select(a => new[] { a.Id, a.Sandbox, What(a), Output.Time(a.ExpiresAt) }));
                return 0;
            }
            try
            {
                await foreach (var a in conn.Approvals(p.GetValue(sandbox), ct).WithCancellation(ct))
                {
                    ctx.Out.WriteLine(asJson ? HiveJson.Serialize(a.Data) : $"{a.Id}  {a.Sandbox}  {What(a)}  (until {Output.Time(a.ExpiresAt)})");
                    ctx.Out.Flush();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            return 0;
        });
        return cmd;
    }

    private static Command BuildDecide(CliContext ctx, bool allow)
    {
        var id = new Argument<string>("id") { Description = "The held request's id, as `hive approvals` lists it (apr_…)." };
        var sandboxWide = new Option<bool>("--sandbox-wide") { Description = $"Also add {(allow ? "an allow" : "a deny")} rule for the request's host and port to the sandbox's config, so later ones {(allow ? "pass" : "are denied")} without asking." };
        var path = new Option<string[]>("--path") { Description = "With --sandbox-wide: only these URL paths (globs such as /repos/**); repeatable.", HelpName = "GLOB" };
        var method = new Option<string[]>("--method") { Description = "With --sandbox-wide: only these HTTP methods; repeatable.", HelpName = "METHOD" };
        var cmd = new Command(allow ? "approve" : "deny", allow
            ? "Let a held request through: once, or with --sandbox-wide for this sandbox from now on (a rule added to its config)."
            : "Refuse a held request (403): once, or with --sandbox-wide from now on (a deny rule added to its config).")
        {
            id, sandboxWide, path, method,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var paths = p.GetValue(path) is { Length: > 0 } ps ? ps : null;
            var methods = p.GetValue(method) is { Length: > 0 } ms ? ms : null;
            var wide = p.GetValue(sandboxWide);
            if ((paths is not null || methods is not null) && !wide)
            {
                ctx.Err.WriteLine("error: --path and --method narrow the rule --sandbox-wide adds; add --sandbox-wide, or leave them out to answer once");
                return HiveCli.Usage;
            }
            var result = await ctx.Connection.DecideApprovalAsync(p.GetValue(id)!, allow, wide, methods, paths, ct);
            ctx.Out.WriteLine($"{(allow ? "Allowed" : "Denied")} {result["id"]}: {result["reason"]}");
            return 0;
        });
        return cmd;
    }

    private static string What(Approval a) => a.Path is null ? $"{a.Method} {a.Host}:{a.Port}" : $"{a.Method} {a.Kind}://{a.Host}:{a.Port}{a.Path}";
}
