using System.Buffers;
using System.Text;
using System.Text.Json;
using Hive.Core.Events;
using Hive.Daemon.Api;
using Hive.Daemon.Events;
using Hive.Daemon.Store;

namespace Hive.Daemon.Tests;

public sealed class EventPageJsonTests
{
    [Fact]
    public void A_page_is_byte_for_byte_the_events_as_the_stream_shows_them_in_an_array()
    {
        var ts = new DateTimeOffset(2026, 12, 6, 18, 0, 0, 123, TimeSpan.Zero);
        StoredEvent[] events =
        [
            new(1, ts, "box", EventTypes.ExecRequest, """{"z":1,  "a":"ünïcødé \"quoted\" \\ <tag> &+","nested":{"b":[1,2,3]},"n":null}"""),
            new(2, ts.AddTicks(4567), "sb-\"odd\"/<name>", EventTypes.EgressRequest, "{}"),
            new(long.MaxValue, ts, "box", EventTypes.DnsQuery, "  {}  "),
            new(4, ts, "box", EventTypes.LlmCall, "\n{\"model\":\"m\"}\n"),
        ];
        var page = new ArrayBufferWriter<byte>(16); // small: the writer has to grow the buffer as it goes
        EventPageJson.Write(page, events);

        var text = Encoding.UTF8.GetString(page.WrittenSpan);
        Assert.Equal("[" + string.Join(",", events.Select(EventBus.ToJson)) + "]", text);
        Assert.Equal(4, JsonDocument.Parse(text).RootElement.GetArrayLength());

        var empty = new ArrayBufferWriter<byte>();
        EventPageJson.Write(empty, []);
        Assert.Equal("[]", Encoding.UTF8.GetString(empty.WrittenSpan));
    }
}
