using System.Text;
using Hive.Daemon.Api;

namespace Hive.Daemon.Tests;

public sealed class ExecCaptureTests
{
    [Fact]
    public void Keeps_the_first_bytes_up_to_the_limit_and_counts_the_rest()
    {
        var capture = new ExecCapture(10);
        for (var i = 0; i < 1000; i++) capture.Append("abcdefg"u8);
        Assert.True(capture.Truncated);
        Assert.Equal(7000, capture.TotalBytes);
        Assert.Equal("abcdefgabc", capture.Text());
    }

    [Fact]
    public void Output_within_the_limit_is_whole_and_not_truncated()
    {
        var capture = new ExecCapture(10);
        capture.Append("héllo"u8);
        Assert.False(capture.Truncated);
        Assert.Equal("héllo", capture.Text());
    }

    [Theory]
    [InlineData("aaaaaaaaaé", 9)]   // é (2 bytes) cut after its first byte: dropped
    [InlineData("aaaaaaaa€", 8)]    // € (3 bytes) cut after two
    [InlineData("aaaaaaaaa€", 9)]   // € cut after one
    [InlineData("aaaaaaa😀", 7)]    // 😀 (4 bytes) cut after three
    [InlineData("aaaaaa😀", 8)]     // 😀 ends exactly at the limit: kept (two UTF-16 units)
    [InlineData("aaaaaaaaaa", 10)]  // ASCII: nothing to drop
    public void A_character_cut_at_the_limit_is_dropped_not_mangled(string text, int keptChars)
    {
        var capture = new ExecCapture(10);
        capture.Append(Encoding.UTF8.GetBytes(text + "tail"));
        Assert.Equal(text[..keptChars], capture.Text());
        Assert.DoesNotContain('\uFFFD', capture.Text());
    }
}
