using System.Text;
using Hive.Core.Http;

namespace Hive.Core.Tests.Http;

public sealed class SseDataReaderTests
{
    private static List<string> Events(SseDataReader reader, params string[] chunks)
    {
        var events = new List<string>();
        foreach (var c in chunks) reader.Feed(Encoding.UTF8.GetBytes(c), d => events.Add(SseDataReader.Text(d)));
        return events;
    }

    [Fact]
    public void Events_split_across_chunks_are_joined()
    {
        var events = Events(new SseDataReader(), "event: message\nda", "ta: {\"a\":", "1}\n", "\nid: 5\ndata: two\ndata: lines\n\n");
        Assert.Equal(["{\"a\":1}", "two\nlines"], events);
    }

    [Fact]
    public void Crlf_and_cr_line_endings_and_fields_without_space_work()
    {
        Assert.Equal(["x", "y"], Events(new SseDataReader(), "data:x\r\n\r\ndata: y\r\r"));
        Assert.Equal(["z"], Events(new SseDataReader(), "data: z\r", "\n\r\n"));
    }

    [Fact]
    public void Comments_other_fields_and_events_without_data_dispatch_nothing()
    {
        Assert.Empty(Events(new SseDataReader(), ": keepalive\n\nevent: ping\nid: 1\n\ndataX: no\n\n"));
    }

    [Fact]
    public void An_oversized_event_is_skipped_and_the_next_one_still_read()
    {
        var reader = new SseDataReader(maxEventBytes: 16);
        Assert.Equal(["small"], Events(reader, "data: " + new string('x', 100) + "\n\n", "data: small\n\n"));
    }
}
