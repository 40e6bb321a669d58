using System.Text.Json;
using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Host.Outbox;

namespace Hive.Daemon.Tests.Outbox;

public sealed class EventOutboxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-outbox-").FullName;
    private string FilePath => Path.Combine(_dir, EventOutbox.FileName);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Events_come_back_in_seq_order_with_their_data_and_time_and_go_when_acknowledged()
    {
        using var outbox = new EventOutbox(FilePath);
        var before = DateTimeOffset.UtcNow;
        var a = outbox.Append("box", EventTypes.EgressRequest, """{"host":"example.test"}""");
        var b = outbox.Append("box", EventTypes.EgressResponse, $$"""{"requestId":{{a}},"status":200}""");
        var c = outbox.Append("other", EventTypes.DnsQuery, """{"name":"x"}""");
        Assert.Equal([1L, 2L, 3L], [a, b, c]);
        outbox.Flush();
        var read = outbox.Read(100, 1 << 20);
        Assert.Equal([1L, 2L, 3L], read.Select(e => e.Seq));
        Assert.Equal("""{"requestId":1,"status":200}""", read[1].Data);
        Assert.Equal("other", read[2].Sandbox);
        Assert.InRange(read[0].Time, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(2, outbox.Read(2, 1 << 20).Count);
        Assert.Single(outbox.Read(100, 10)); // over the byte budget: one at least

        outbox.Acknowledge(2);
        Assert.Equal([3L], outbox.Read(100, 1 << 20).Select(e => e.Seq));
    }

    [Fact]
    public void Seqs_are_never_reused_after_everything_was_acknowledged_and_the_outbox_reopened()
    {
        string stream;
        using (var outbox = new EventOutbox(FilePath))
        {
            stream = outbox.Stream;
            for (var i = 0; i < 10; i++) outbox.Append("box", EventTypes.DnsQuery, "{}");
            outbox.Flush();
            outbox.Acknowledge(10);
            Assert.Equal(0, outbox.Count());
        }
        using (var reopened = new EventOutbox(FilePath))
        {
            Assert.Equal(stream, reopened.Stream);
            Assert.Equal(11, reopened.Append("box", EventTypes.DnsQuery, "{}"));
        }
        // A new file is a new stream: the controller keeps its marks apart.
        using var fresh = new EventOutbox(Path.Combine(_dir, "other.db"));
        Assert.NotEqual(stream, fresh.Stream);
    }

    [Fact]
    public void What_was_appended_before_dispose_is_there_after_reopening()
    {
        using (var outbox = new EventOutbox(FilePath))
            for (var i = 0; i < 5000; i++) outbox.Append("box", EventTypes.FsRequest, $$"""{"n":{{i}}}""");
        using var reopened = new EventOutbox(FilePath);
        var read = reopened.Read(10_000, long.MaxValue);
        Assert.Equal(Enumerable.Range(1, 5000).Select(i => (long)i), read.Select(e => e.Seq));
        Assert.Equal("""{"n":4999}""", read[^1].Data);
    }

    [Fact]
    public void A_model_calls_bodies_go_out_with_its_llm_call_and_are_deleted_with_it()
    {
        using var outbox = new EventOutbox(FilePath);
        var request = outbox.Append("box", EventTypes.EgressRequest, "{}");
        outbox.StoreLlmBodies("box", request, new LlmBodies(new LlmBody("{\"q\":1}", "application/json", 7, false), new LlmBody("r\u00e9", null, 3, true)));
        var call = outbox.Append("box", EventTypes.LlmCall, $$"""{"requestId":{{request}},"provider":"anthropic"}""");
        outbox.Append("other", EventTypes.LlmCall, $$"""{"requestId":{{request}}}"""); // another sandbox's: not its bodies
        outbox.Flush();
        var read = outbox.Read(100, 1 << 20);
        Assert.Null(read[0].Llm);
        var llm = JsonDocument.Parse(read[1].Llm!).RootElement;
        Assert.Equal("{\"q\":1}", llm.GetProperty("request").GetProperty("text").GetString());
        Assert.Equal("application/json", llm.GetProperty("request").GetProperty("contentType").GetString());
        Assert.Equal(JsonValueKind.Null, llm.GetProperty("response").GetProperty("contentType").ValueKind);
        Assert.True(llm.GetProperty("response").GetProperty("truncated").GetBoolean());
        Assert.Equal("r\u00e9", llm.GetProperty("response").GetProperty("text").GetString());
        Assert.Null(read[2].Llm);

        outbox.Acknowledge(call);
        outbox.Append("box", EventTypes.LlmCall, $$"""{"requestId":{{request}}}""");
        outbox.Flush();
        Assert.All(outbox.Read(100, 1 << 20), e => Assert.Null(e.Llm));
    }

    [Fact]
    public void The_push_body_carries_host_stream_and_events_with_data_as_written()
    {
        var body = OutboxWire.Batch("h1", "abc", [new OutboxEvent(4, "box", EventTypes.EgressResponse, new DateTime(2026, 12, 6, 18, 0, 0, DateTimeKind.Utc).Ticks,
            """{"requestId":3,"note":"caf\u00e9"}""", null)]);
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("h1", root.GetProperty("host").GetString());
        Assert.Equal("abc", root.GetProperty("stream").GetString());
        var e = root.GetProperty("events")[0];
        Assert.Equal(4, e.GetProperty("seq").GetInt64());
        Assert.Equal("2026-12-06T18:00:00.0000000+00:00", e.GetProperty("time").GetString());
        Assert.Equal("""{"requestId":3,"note":"caf\u00e9"}""", e.GetProperty("data").GetRawText());
        Assert.False(e.TryGetProperty("llm", out _));
        Assert.Equal(17, OutboxWire.Acked("""{"acked":17}"""u8));
    }
}
