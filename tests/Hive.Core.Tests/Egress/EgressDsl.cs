using System.Net;
using System.Text;
using Hive.Core.Config;
using Hive.Core.Egress;

namespace Hive.Core.Tests.Egress;

/// <summary>
/// A compact notation for the tables.
/// Rules, separated by ';': <c>allow|deny HOST [ports=443,80] [methods=GET,POST] [paths=/a/**,/b]</c>; parsed by the
/// real config parser, so rule hosts are normalised as in production.
/// Requests: <c>HTTP METHOD HOST:PORT [TARGET]</c>, <c>TLS HOST:PORT</c> or <c>TCP HOST:PORT</c>; HOST may be
/// <c>[v6]</c>; <c>HOST:PORT@IP</c> gives the address the proxy resolved the name to. TARGET goes through
/// <see cref="UrlPath.Normalize"/> (default <c>/</c>).
/// Expected: <c>allow N</c>, <c>deny N</c>, <c>deny</c> (no rule), <c>http</c> (NeedsHttp).
/// </summary>
internal static class EgressDsl
{
    /// <summary>The rules with <c>egressDefault: ask</c>.</summary>
    public static EgressPolicy AskingPolicy(string rules) => EgressPolicy.Compile(Policy(rules).Rules, Hive.Core.Config.EgressDefault.Ask);

    public static EgressPolicy Policy(string rules)
    {
        if (rules.Trim().Length == 0) return EgressPolicy.Compile([]);
        var json = new StringBuilder("{\"egress\":[");
        var first = true;
        foreach (var text in rules.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!first) json.Append(',');
            first = false;
            var tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            json.Append("{\"access\":").Append(Quote(tokens[0])).Append(",\"host\":").Append(Quote(tokens[1]));
            foreach (var option in tokens.Skip(2))
            {
                var eq = option.IndexOf('=');
                var name = option[..eq];
                var values = option[(eq + 1)..].Split(',');
                json.Append(",\"").Append(name).Append("\":[")
                    .Append(string.Join(',', values.Select(v => name == "ports" ? v : Quote(v))))
                    .Append(']');
            }
            json.Append('}');
        }
        json.Append("]}");
        var result = ConfigParser.Parse(json.ToString(), "box1");
        Assert.True(result.Ok, "bad test rules: " + rules + "\n" + string.Join("\n", result.Errors));
        return EgressPolicy.Compile(result.Config!);
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    public static EgressRequest Request(string text)
    {
        var tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var layer = Enum.Parse<EgressLayer>(tokens[0], ignoreCase: true);
        var hostPort = layer == EgressLayer.Http ? tokens[2] : tokens[1];
        IPAddress? resolved = null;
        var at = hostPort.LastIndexOf('@');
        if (at >= 0)
        {
            resolved = IPAddress.Parse(hostPort[(at + 1)..]);
            hostPort = hostPort[..at];
        }
        var colon = hostPort.LastIndexOf(':');
        var host = hostPort[..colon];
        var port = int.Parse(hostPort[(colon + 1)..]);
        if (layer != EgressLayer.Http) return new EgressRequest(layer, host, resolved, port);
        var target = UrlPath.Normalize(tokens.Length > 3 ? tokens[3] : "/");
        return EgressRequest.Http(host, resolved, port, tokens[1], target);
    }

    public static string Show(EgressDecision d) => d.Verdict switch
    {
        EgressVerdict.NeedsHttp => "http",
        EgressVerdict.Allowed => $"allow {d.RuleIndex}",
        EgressVerdict.Ask => d.RuleIndex is { } a ? $"ask {a}" : "ask",
        _ => d.RuleIndex is { } i ? $"deny {i}" : "deny",
    };
}
