using Hive.Egress.Proxy;

namespace Hive.Egress.Tests;

/// <summary>The bounded copy of a model call's body: always a prefix of it, every byte counted, the cut flagged.</summary>
public class LlmBodyCaptureTests
{
    [Fact]
    public void Keeps_a_prefix_up_to_its_bound_and_counts_every_byte()
    {
        using var capture = new LlmBodyCapture(10);
        capture.Observe("abcd"u8);
        capture.Observe(""u8);
        Assert.False(capture.Cut);
        capture.Observe("efghijkl"u8); // only "efghij" fits
        capture.Observe("mnop"u8);
        Assert.Equal("abcdefghij"u8.ToArray(), capture.Kept.ToArray());
        Assert.Equal(16, capture.Total);
        Assert.True(capture.Cut);
    }

    [Fact]
    public void Grows_past_its_first_buffer_and_is_empty_after_dispose()
    {
        var capture = new LlmBodyCapture(1024 * 1024);
        var chunk = new byte[40_000];
        for (var i = 0; i < 30; i++)
        {
            Array.Fill(chunk, (byte)i);
            capture.Observe(chunk);
        }
        Assert.Equal(1024 * 1024, capture.Kept.Length);
        Assert.Equal(26, capture.Kept[^1]); // 1 MiB ends inside the 27th chunk
        Assert.True(capture.Cut);
        capture.Dispose();
        Assert.Equal(0, capture.Kept.Length);
    }
}
