using System.Net.Security;
using Hive.Egress.Tls;

namespace Hive.Egress.Tests;

public class ClientHelloTests
{
    /// <summary>A real ClientHello, as .NET's own TLS client writes it.</summary>
    private static byte[] Capture(string? sni, params string[] alpn)
    {
        var sink = new CaptureStream();
        using var ssl = new SslStream(sink, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = sni ?? "",
            ApplicationProtocols = alpn.Select(a => new SslApplicationProtocol(a)).ToList(),
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        };
        try { ssl.AuthenticateAsClient(options); } catch (IOException) { } catch (System.Security.Authentication.AuthenticationException) { }
        return sink.Written.ToArray();
    }

    [Fact]
    public void Reads_sni_and_alpn_of_a_real_client_hello()
    {
        var hello = Capture("api.example.test", "h2", "http/1.1");
        Assert.Equal(ClientHelloStatus.Complete, ClientHello.TryParse(hello, out var info, out var length));
        Assert.Equal("api.example.test", info!.ServerName);
        Assert.Equal(["h2", "http/1.1"], info.Alpn);
        Assert.True(length <= hello.Length);
    }

    [Fact]
    public void A_hello_without_sni_parses_with_no_name()
    {
        var hello = Capture(null);
        Assert.Equal(ClientHelloStatus.Complete, ClientHello.TryParse(hello, out var info, out _));
        Assert.Null(info!.ServerName);
    }

    [Fact]
    public void Every_prefix_asks_for_more_and_never_throws()
    {
        var hello = Capture("a.test", "h2");
        ClientHello.TryParse(hello, out _, out var full);
        for (var i = 0; i < full; i++)
            Assert.Equal(ClientHelloStatus.NeedMore, ClientHello.TryParse(hello.AsSpan(0, i), out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ' }, ClientHelloStatus.NotTls)]
    [InlineData(new byte[] { 0x16, 0x02, 0x00, 0x00, 0x10 }, ClientHelloStatus.NotTls)]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x40, 0x01 }, ClientHelloStatus.Invalid)] // record over 16 KiB
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x01, 0x01 }, ClientHelloStatus.Invalid)] // shorter than a handshake header
    public void Non_tls_and_oversized_records_are_told_apart(byte[] data, ClientHelloStatus expected) =>
        Assert.Equal(expected, ClientHello.TryParse(data, out _, out _));

    [Fact]
    public void A_hello_over_4_KiB_is_read_whole()
    {
        // Many ALPN offers make a legal ClientHello larger than 4 KiB (the attack battery's case).
        var protocols = Enumerable.Range(0, 200).Select(i => $"proto-{i:D4}-padding-padding").ToArray();
        var hello = Capture("big.example.test", protocols);
        Assert.True(hello.Length > 4096, $"hello is only {hello.Length} bytes");
        Assert.Equal(ClientHelloStatus.Complete, ClientHello.TryParse(hello, out var info, out _));
        Assert.Equal("big.example.test", info!.ServerName);
    }

    [Fact]
    public void An_http_offer_buried_behind_many_others_is_still_seen()
    {
        // Losing it would turn an interceptable HTTPS flow into a raw TLS tunnel, past the per-request rules.
        var protocols = Enumerable.Range(0, 40).Select(i => $"decoy-{i:D2}").Append("http/1.1").ToArray();
        Assert.Equal(ClientHelloStatus.Complete, ClientHello.TryParse(Capture("a.test", protocols), out var info, out _));
        Assert.Contains("http/1.1", info!.Alpn);
    }

    [Fact]
    public void Random_corruption_never_throws()
    {
        var hello = Capture("fuzz.example.test", "h2");
        var random = new Random(1234);
        for (var i = 0; i < 20_000; i++)
        {
            var copy = (byte[])hello.Clone();
            for (var j = random.Next(1, 8); j > 0; j--) copy[random.Next(copy.Length)] = (byte)random.Next(256);
            var status = ClientHello.TryParse(copy, out var info, out _);
            if (status == ClientHelloStatus.Complete && info!.ServerName is { } name)
                Assert.All(name, c => Assert.InRange(c, (char)0x21, (char)0x7E));
        }
    }

    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set { } }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("capture only");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
