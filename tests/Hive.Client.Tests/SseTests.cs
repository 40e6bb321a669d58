using System.Text;

namespace HiveClient.Tests;

public class SseTests
{
    private static async Task<List<SseFrame>> ReadAll(string text)
    {
        using var reader = new SseReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        var frames = new List<SseFrame>();
        while (await reader.ReadAsync(CancellationToken.None) is { } f) frames.Add(f);
        return frames;
    }

    [Fact]
    public async Task JoinsMultiLineDataAndSkipsComments()
    {
        var frames = await ReadAll(": keep-alive\n\nid: 7\nevent: exec.request\ndata: {\"a\":\ndata:1}\n: comment in the middle\n\n");

        var f = Assert.Single(frames);
        Assert.Equal("exec.request", f.Event);
        Assert.Equal("{\"a\":\n1}", f.Data);
        Assert.Equal("7", f.Id);
    }

    [Fact]
    public async Task HandlesCrLfAndCrLineEndsAndDefaultEventType()
    {
        var frames = await ReadAll("data: one\r\n\r\ndata: two\r\rdata:  three\n\n");

        Assert.Equal(["one", "two", " three"], frames.Select(f => f.Data));
        Assert.All(frames, f => Assert.Equal("message", f.Event));
    }

    [Fact]
    public async Task IdPersistsAndEventTypeResetsAfterDispatch()
    {
        var frames = await ReadAll("id: 1\nevent: a\ndata: x\n\ndata: y\n\nevent: b\n\ndata: z\n\n");

        Assert.Equal([("a", "x", "1"), ("message", "y", "1"), ("message", "z", "1")], frames.Select(f => (f.Event, f.Data, f.Id)));
    }

    [Fact]
    public async Task DropsAnUnfinishedEventAtTheEnd()
    {
        var frames = await ReadAll("data: complete\n\ndata: cut off");
        Assert.Equal(["complete"], frames.Select(f => f.Data));
    }

    [Fact]
    public async Task ReadsRetryAndFieldsWithoutColon()
    {
        using var reader = new SseReader(new MemoryStream(Encoding.UTF8.GetBytes("retry: 1500\ndata\n\n")));
        var f = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal("", f!.Value.Data);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), reader.Retry);
    }
}
