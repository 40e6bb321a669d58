using System.Buffers.Binary;
using System.Text;

namespace Hive.Egress.Dns;

/// <summary>The one question of a DNS query.</summary>
public readonly record struct DnsQuestion(ushort Id, ushort Flags, string Name, ushort Type, ushort Class, int QuestionEnd);

/// <summary>
/// The little of RFC 1035 the sandbox resolver needs: read one question, answer it with an address,
/// nothing, or NXDOMAIN. Compression pointers are refused in queries (no real stub sends them).
/// </summary>
public static class DnsMessage
{
    public const ushort TypeA = 1, TypeAAAA = 28;
    public const int RcodeNoError = 0, RcodeFormErr = 1, RcodeServFail = 2, RcodeNxDomain = 3, RcodeNotImp = 4, RcodeRefused = 5;
    public const int AnswerTtl = 30;

    public static bool TryParse(ReadOnlySpan<byte> m, out DnsQuestion question)
    {
        question = default;
        if (m.Length < 12 || m.Length > 4096) return false;
        var id = BinaryPrimitives.ReadUInt16BigEndian(m);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        if ((flags & 0x8000) != 0) return false; // a response, not a query
        if (BinaryPrimitives.ReadUInt16BigEndian(m[4..]) != 1) return false; // exactly one question
        var name = new StringBuilder();
        var i = 12;
        while (true)
        {
            if (i >= m.Length) return false;
            int len = m[i++];
            if (len == 0) break;
            if (len > 63 || i + len > m.Length) return false; // pointers (0xC0) and over-long labels
            if (name.Length > 0) name.Append('.');
            for (var j = 0; j < len; j++)
            {
                var c = (char)m[i + j];
                name.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
            }
            if (name.Length > 253) return false;
            i += len;
        }
        if (i + 4 > m.Length) return false;
        question = new DnsQuestion(id, flags, name.ToString(), BinaryPrimitives.ReadUInt16BigEndian(m[i..]), BinaryPrimitives.ReadUInt16BigEndian(m[(i + 2)..]), i + 4);
        return true;
    }

    /// <summary>Writes the response into <paramref name="buffer"/>; returns its length. <paramref name="address"/> is an IPv4 answer or empty.</summary>
    public static int WriteResponse(Span<byte> buffer, ReadOnlySpan<byte> query, in DnsQuestion q, int rcode, ReadOnlySpan<byte> address)
    {
        var questionLength = q.QuestionEnd - 12;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, q.Id);
        // QR=1, opcode copied, AA=1, RD copied, RA=1.
        var flags = (ushort)(0x8000 | (q.Flags & 0x7800) | 0x0400 | (q.Flags & 0x0100) | 0x0080 | (rcode & 0xF));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], (ushort)(address.Length == 4 ? 1 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], 0);
        query.Slice(12, questionLength).CopyTo(buffer[12..]);
        var n = 12 + questionLength;
        if (address.Length == 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[n..], 0xC00C); // pointer to the question's name
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(n + 2)..], TypeA);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(n + 4)..], 1);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(n + 6)..], AnswerTtl);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(n + 10)..], 4);
            address.CopyTo(buffer[(n + 12)..]);
            n += 16;
        }
        return n;
    }

    /// <summary>A header-only error answer for queries we could not read (FORMERR) or will not serve.</summary>
    public static int WriteError(Span<byte> buffer, ReadOnlySpan<byte> query, int rcode)
    {
        if (query.Length < 2) return 0;
        buffer[..12].Clear();
        query[..2].CopyTo(buffer);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)(0x8000 | (rcode & 0xF)));
        return 12;
    }

    public static string TypeName(ushort type) => type switch
    {
        1 => "A", 2 => "NS", 5 => "CNAME", 6 => "SOA", 12 => "PTR", 15 => "MX", 16 => "TXT", 28 => "AAAA",
        33 => "SRV", 64 => "SVCB", 65 => "HTTPS", 255 => "ANY",
        _ => type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
