using System.Text;
using Hive.Mcp.Tools;

namespace Hive.Mcp.Tests;

public sealed class CappedOutputTests
{
    [Fact]
    public void Short_output_is_kept_whole()
    {
        var o = new CappedOutput(10, 5);
        o.Append("hello"u8);
        o.Append(" world"u8);
        Assert.False(o.Truncated);
        Assert.Equal("hello world", o.ToText("stdout"));
    }

    [Fact]
    public void Exactly_head_plus_tail_is_not_truncated()
    {
        var o = new CappedOutput(3, 3);
        o.Append("abcdef"u8);
        Assert.False(o.Truncated);
        Assert.Equal("abcdef", o.ToText("stdout"));
    }

    [Fact]
    public void Long_output_keeps_its_start_and_end_and_says_how_much_was_dropped()
    {
        var o = new CappedOutput(4, 4);
        foreach (var chunk in new[] { "0123", "4567", "89ab", "cdef", "ghij" }) o.Append(Encoding.ASCII.GetBytes(chunk));
        Assert.True(o.Truncated);
        Assert.Equal(20, o.TotalBytes);
        var text = o.ToText("stdout");
        Assert.StartsWith("0123\n", text);
        Assert.EndsWith("\nghij", text);
        Assert.Contains("stdout truncated: 12 of 20 bytes not shown", text);
    }

    [Fact]
    public void Chunks_larger_than_the_ring_and_wrapping_writes_keep_the_last_bytes_in_order()
    {
        var o = new CappedOutput(2, 5);
        o.Append("ab"u8);
        o.Append("0123456789"u8);
        o.Append("xy"u8);
        o.Append("z"u8);
        Assert.EndsWith("89xyz", o.ToText("x"));
    }

    [Fact]
    public void Ten_megabytes_cost_a_fixed_buffer()
    {
        var o = new CappedOutput(20_000, 10_000);
        var chunk = new byte[64 * 1024];
        chunk.AsSpan().Fill((byte)'x');
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 160; i++) o.Append(chunk);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"appending 10 MB allocated {allocated} bytes");
        Assert.True(o.ToText("stdout").Length < 31_000);
    }
}
