using Hive.Core.Egress;
using Hive.Core.Events;

namespace Hive.Egress.Dns;

/// <summary>
/// Decides one query for one sandbox: a name no allow rule could match gets NXDOMAIN (nothing to
/// exfiltrate through); an allowed name gets A = a synthetic address standing for it, and every other
/// type an empty answer. Every query is evented.
/// </summary>
public sealed class DnsResponder(IHostEventSink events)
{
    public const int MaxResponse = 512;

    public int Respond(SandboxEgress sandbox, ReadOnlySpan<byte> query, Span<byte> response)
    {
        if (!DnsMessage.TryParse(query, out var q)) return DnsMessage.WriteError(response, query, DnsMessage.RcodeFormErr);
        if (((q.Flags >> 11) & 0xF) != 0) return DnsMessage.WriteError(response, query, DnsMessage.RcodeNotImp);
        var allowed = q.Class == 1 && sandbox.Policy.CouldAllowName(q.Name);
        Span<byte> address = stackalloc byte[4];
        var answer = "nxdomain";
        int length;
        if (!allowed)
        {
            length = DnsMessage.WriteResponse(response, query, q, DnsMessage.RcodeNxDomain, []);
        }
        else if (q.Type == DnsMessage.TypeA)
        {
            sandbox.Pool.GetOrAssign(q.Name).TryWriteBytes(address);
            length = DnsMessage.WriteResponse(response, query, q, DnsMessage.RcodeNoError, address);
            answer = "allowed";
        }
        else
        {
            // AAAA and everything else: the name exists, with no data of that type. Clients fall back to A.
            length = DnsMessage.WriteResponse(response, query, q, DnsMessage.RcodeNoError, []);
            answer = "allowed";
        }
        events.Append(sandbox.Name, EventTypes.DnsQuery, QueryData(q.Name, DnsMessage.TypeName(q.Type), answer,
            answer == "allowed" && q.Type == DnsMessage.TypeA ? address : default));
        return length;
    }

    /// <summary>The dns.query data object; <paramref name="address"/> is the A answer, empty for none.</summary>
    public static string QueryData(string name, string qtype, string answer, ReadOnlySpan<byte> address)
    {
        var w = EventJson.Begin();
        w.WriteString("name", name);
        w.WriteString("qtype", qtype);
        w.WriteString("answer", answer);
        if (!address.IsEmpty)
        {
            Span<char> text = stackalloc char[15];
            text.TryWrite(System.Globalization.CultureInfo.InvariantCulture, $"{address[0]}.{address[1]}.{address[2]}.{address[3]}", out var n);
            w.WriteString("address", text[..n]);
        }
        return EventJson.End(w);
    }
}
