using System.IO.Pipelines;
using System.Text;
using Hive.Egress.Proxy;

namespace Hive.Egress.Tests;

/// <summary>The peek only sorts: bytes it does not recognise are "other", silence is "silent"; neither means "tunnel".</summary>
public class ConnectionPeekTests
{
    [Theory]
    [InlineData("GET / HTTP/1.1\r\n", FirstBytes.Http)]
    [InlineData("FOO / HTTP/1.1\r\n", FirstBytes.Http)]
    [InlineData("PROPFIND / HTTP/1.1\r\n", FirstBytes.Http)]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", FirstBytes.Http)]
    [InlineData("\r\nGET /admin HTTP/1.1\r\n", FirstBytes.Other)]
    [InlineData("get / HTTP/1.1\r\n", FirstBytes.Other)]
    [InlineData("M-SEARCH * HTTP/1.1\r\n", FirstBytes.Other)]
    [InlineData("BASELINE-CONTROL / HTTP/1.1\r\n", FirstBytes.Other)]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n", FirstBytes.Other)]
    [InlineData("\x16\x03\x01\x00\x05hello", FirstBytes.Invalid)]
    public async Task First_bytes_are_sorted(string bytes, FirstBytes expected)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.Latin1.GetBytes(bytes));
        var (kind, _) = await ConnectionPeek.PeekAsync(pipe.Reader);
        Assert.Equal(expected, kind);
        var read = await pipe.Reader.ReadAsync(); // nothing consumed
        Assert.Equal(bytes.Length, read.Buffer.Length);
    }

    [Fact]
    public async Task Silence_is_silent_not_raw()
    {
        var pipe = new Pipe();
        var (kind, _) = await ConnectionPeek.PeekAsync(pipe.Reader);
        Assert.Equal(FirstBytes.Silent, kind);
    }

    [Fact]
    public async Task After_a_silence_the_first_bytes_are_waited_for_and_sorted_the_same()
    {
        var pipe = new Pipe();
        var peek = ConnectionPeek.PeekAsync(pipe.Reader, shortWait: false);
        await Task.Delay(ConnectionPeek.ServerFirstWait * 2);
        Assert.False(peek.IsCompleted);
        await pipe.Writer.WriteAsync("FOO /admin HTTP/1.1\r\n"u8.ToArray());
        Assert.Equal(FirstBytes.Http, (await peek).Kind);
    }
}
