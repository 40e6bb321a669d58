using System.Text;

namespace Hive.Egress.Tls;

/// <summary>What the proxy needs from a TLS ClientHello before it decides: the SNI and the ALPN offers.</summary>
public sealed record ClientHelloInfo(string? ServerName, IReadOnlyList<string> Alpn);

public enum ClientHelloStatus { Complete, NeedMore, NotTls, Invalid }

/// <summary>
/// Parses the first TLS record of a connection (RFC 8446 §4.1.2). Bounds-checked on every read, never
/// throws on hostile input, and refuses records larger than TLS allows (16 KiB + header).
/// </summary>
public static class ClientHello
{
    public const int MaxRecord = 5 + 16384;

    public static ClientHelloStatus TryParse(ReadOnlySpan<byte> data, out ClientHelloInfo? info, out int recordLength)
    {
        info = null;
        recordLength = 0;
        if (data.Length < 1) return ClientHelloStatus.NeedMore;
        if (data[0] != 0x16) return ClientHelloStatus.NotTls;
        if (data.Length < 5) return ClientHelloStatus.NeedMore;
        if (data[1] != 0x03) return ClientHelloStatus.NotTls;
        var length = data[3] << 8 | data[4];
        if (length is < 4 or > 16384) return ClientHelloStatus.Invalid;
        recordLength = 5 + length;
        if (data.Length < recordLength) return ClientHelloStatus.NeedMore;
        var r = new Reader(data.Slice(5, length));
        if (!r.Byte(out var type) || type != 0x01) return ClientHelloStatus.Invalid; // handshake type client_hello
        if (!r.UInt24(out var bodyLength)) return ClientHelloStatus.Invalid;
        // A ClientHello split over several records is legal but never sent by real clients with a
        // hello this small; we only read what the first record holds.
        var body = new Reader(r.Rest[..Math.Min(bodyLength, r.Rest.Length)]);
        if (!body.Skip(2 + 32)) return ClientHelloStatus.Invalid; // version, random
        if (!body.Vector8(out _) || !body.Vector16(out _) || !body.Vector8(out _)) return ClientHelloStatus.Invalid; // session id, cipher suites, compression
        string? sni = null;
        var alpn = new List<string>();
        if (body.Remaining > 0)
        {
            if (!body.Vector16(out var extensions)) return ClientHelloStatus.Invalid;
            var ext = new Reader(extensions);
            while (ext.Remaining > 0)
            {
                if (!ext.UInt16(out var extType) || !ext.Vector16(out var extData)) return ClientHelloStatus.Invalid;
                if (extType == 0x0000 && !ParseServerName(extData, out sni)) return ClientHelloStatus.Invalid;
                if (extType == 0x0010 && !ParseAlpn(extData, alpn)) return ClientHelloStatus.Invalid;
            }
        }
        info = new ClientHelloInfo(sni, alpn);
        return ClientHelloStatus.Complete;
    }

    private static bool ParseServerName(ReadOnlySpan<byte> data, out string? name)
    {
        name = null;
        var r = new Reader(data);
        if (!r.Vector16(out var list)) return false;
        var l = new Reader(list);
        while (l.Remaining > 0)
        {
            if (!l.Byte(out var nameType) || !l.Vector16(out var value)) return false;
            if (nameType != 0) continue;
            if (name is not null || value.Length is 0 or > 255) return false; // one host_name at most
            foreach (var b in value)
                if (b is < 0x21 or > 0x7E) return false; // SNI is ASCII (A-labels); no spaces or controls
            name = Encoding.ASCII.GetString(value);
        }
        return true;
    }

    private static bool ParseAlpn(ReadOnlySpan<byte> data, List<string> alpn)
    {
        var r = new Reader(data);
        if (!r.Vector16(out var list)) return false;
        var l = new Reader(list);
        while (l.Remaining > 0)
        {
            if (!l.Vector8(out var proto) || proto.Length == 0) return false;
            // Keep a few offers for the record, but never lose an HTTP one: whether the flow is intercepted
            // (or tunnelled as non-HTTP TLS) depends on it, and a client may bury it behind many others.
            if (alpn.Count < 16 || proto.SequenceEqual("h2"u8) || proto.SequenceEqual("http/1.1"u8))
                alpn.Add(Encoding.ASCII.GetString(proto));
        }
        return true;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public readonly int Remaining => _data.Length;
        public readonly ReadOnlySpan<byte> Rest => _data;

        public bool Skip(int n)
        {
            if (_data.Length < n) return false;
            _data = _data[n..];
            return true;
        }

        public bool Byte(out int value)
        {
            value = 0;
            if (_data.Length < 1) return false;
            value = _data[0];
            _data = _data[1..];
            return true;
        }

        public bool UInt16(out int value)
        {
            value = 0;
            if (_data.Length < 2) return false;
            value = _data[0] << 8 | _data[1];
            _data = _data[2..];
            return true;
        }

        public bool UInt24(out int value)
        {
            value = 0;
            if (_data.Length < 3) return false;
            value = _data[0] << 16 | _data[1] << 8 | _data[2];
            _data = _data[3..];
            return true;
        }

        public bool Vector8(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (!Byte(out var n) || _data.Length < n) return false;
            value = _data[..n];
            _data = _data[n..];
            return true;
        }

        public bool Vector16(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (!UInt16(out var n) || _data.Length < n) return false;
            value = _data[..n];
            _data = _data[n..];
            return true;
        }
    }
}
