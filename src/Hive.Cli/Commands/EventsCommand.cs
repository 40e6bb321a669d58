using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hive.Core.Events;
using HiveClient;

namespace Hive.Cli.Commands;

/// <summary><c>hive events [NAME]</c>: the audit log, one page or followed live.</summary>
internal static class EventsCommand
{
    public static Command Build(CliContext ctx)
    {
        var name = new Argument<string?>("name") { Description = "Only this sandbox's events (default: all sandboxes).", Arity = ArgumentArity.ZeroOrOne };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing events as they happen (reconnects without losing any) until Ctrl+C." };
        var type = new Option<string[]>("--type", "-t") { Description = "Only events whose type matches PATTERN, e.g. egress.* or fs.request; repeatable or comma-separated.", HelpName = "PATTERN" };
        var json = SandboxCommands.JsonOption("Print one JSON object per line.");
        var after = new Option<long?>("--after") { Description = "Only events with an id above ID.", HelpName = "ID" };
        var limit = new Option<int?>("--limit") { Description = "At most N events (without --follow; the daemon's default is 1000).", HelpName = "N" };
        var cmd = new Command("events", "Print recorded events (egress, DNS, files, exec, config, LLM calls, secrets): one page, or live with --follow.")
        {
            name, follow, type, json, after, limit,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var types = p.GetValue(type) is { Length: > 0 } t ? string.Join(',', t) : null;
            var sandbox = p.GetValue(name);
            var asJson = p.GetValue(json);
            var conn = ctx.Connection;
            Sandbox? sb = sandbox is null ? null : await conn.GetSandboxAsync(sandbox, ct);

            if (!p.GetValue(follow))
            {
                var page = sb is null
                    ? await conn.GetEventsAsync(types, p.GetValue(after), p.GetValue(limit), ct)
                    : await sb.GetEventsAsync(types, p.GetValue(after), p.GetValue(limit), ct);
                foreach (var e in page) Print(ctx, e, asJson);
                if (page.Count == 0 && !asJson) ctx.Err.WriteLine("No events.");
                return 0;
            }

            var stream = sb is null ? conn.GetEventsStream(types, p.GetValue(after), ct) : sb.GetEventsStream(types, p.GetValue(after), ct);
            try
            {
                await foreach (var e in stream.WithCancellation(ct)) Print(ctx, e, asJson);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C ends a follow: that is how it is meant to stop.
            }
            return 0;
        });
        return cmd;
    }

    private static void Print(CliContext ctx, SandboxEvent e, bool json)
    {
        ctx.Out.WriteLine(json ? HiveJson.Serialize(e.Data) : EventFormat.Line(e));
        ctx.Out.Flush();
    }
}

/// <summary>Events as one line of text.</summary>
internal static class EventFormat
{
    private static readonly HashSet<string> Common = ["id", "ts", "sandbox", "type"];

    /// <summary><c>#id  time  sandbox  type  key=value ...</c></summary>
    public static string Line(SandboxEvent e) =>
        $"#{e.Id}  {e.Ts.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff}  {e.Sandbox}  {e.Type}  {Fields(e)}".TrimEnd();

    /// <summary><c>time  type  summary</c>, for the events of one short run.</summary>
    public static string Short(SandboxEvent e) =>
        $"{e.Ts.ToLocalTime():HH:mm:ss.fff}  {e.Type,-16}  {Summary(e)}".TrimEnd();

    /// <summary>What happened, in the words of the event's type; its fields for types without a summary.</summary>
    public static string Summary(SandboxEvent e)
    {
        string S(string f) => Text(e[f]);
        string Opt(string f, string format = "{0}") => e[f] is null ? "" : string.Format(CultureInfo.InvariantCulture, format, Text(e[f]));
        return e.Type switch
        {
            EventTypes.EgressRequest => $"{S("access")} {S("method")} {S("host")}:{S("port")}{Opt("path")}{Opt("reason", " ({0})")}",
            EventTypes.EgressResponse => $"{S("status")} in {S("durationMs")} ms, {S("bytesIn")} bytes in, {S("bytesOut")} out",
            EventTypes.DnsQuery => $"{S("name")} {S("qtype")} -> {S("answer")}",
            EventTypes.FsRequest => $"{S("access")} {S("op")} {S("path")}",
            EventTypes.ExecRequest => e["command"] is JsonArray argv ? string.Join(' ', argv.Select(a => Text(a))) : S("command"),
            EventTypes.ExecResponse => $"exit {S("exitCode")} in {S("durationMs")} ms",
            EventTypes.LlmCall => $"{S("provider")} {S("model")} {S("inputTokens")} in / {S("outputTokens")} out tokens, status {S("status")}",
            _ => Fields(e),
        };
    }

    /// <summary>Every type-specific field as <c>key=value</c>.</summary>
    public static string Fields(SandboxEvent e)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in e.Data)
        {
            if (Common.Contains(key)) continue;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(key).Append('=').Append(value is null ? "null" : Plain(value));
        }
        return sb.ToString();
    }

    // For people, not parsers (--json is for those): strings unquoted unless they hold spaces, arrays of strings as shell words.
    private static string Plain(JsonNode value) => value switch
    {
        JsonArray a when a.All(x => x is JsonValue v && v.GetValueKind() == JsonValueKind.String) =>
            "[" + string.Join(' ', a.Select(x => Quote(x!.GetValue<string>()))) + "]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Quote(v.GetValue<string>()),
        _ => value.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
    };

    private static string Quote(string s) =>
        s.Length > 0 && !s.Any(c => char.IsWhiteSpace(c) || c is '"' or '\\' or '\'') ? s : "'" + s.Replace("'", "'\\''") + "'";

    private static string Text(JsonNode? node) => node switch
    {
        null => "-",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => node.ToJsonString(),
    };
}
