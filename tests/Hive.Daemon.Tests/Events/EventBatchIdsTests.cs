using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Daemon.Events;
using Hive.Daemon.Store;

namespace Hive.Daemon.Tests.Events;

public sealed class EventBatchIdsTests
{
    private static readonly DateTimeOffset T = new(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, long> NoMarks = [];
    private static readonly Dictionary<(string, long), long> NoneStored = [];

    private static StoredEvent Host(long id, long seq, string data, string type = EventTypes.EgressResponse, LlmBodies? llm = null) =>
        new(id, T, "box", type, data) { Origin = new EventOrigin("h/s", seq, llm) };

    [Theory]
    [InlineData("""{"requestId":5,"status":200}""", 5L)]
    [InlineData("""{"status":200,"requestId":-3}""", -3L)]
    [InlineData("""{"args":{"requestId":9},"n":1}""", null)]
    [InlineData("""{"requestId":"5"}""", null)]
    [InlineData("""{"requestId":null}""", null)]
    [InlineData("""{}""", null)]
    public void The_requestId_read_is_the_top_level_integer_one(string data, long? expected) => Assert.Equal(expected, EventRefs.RequestId(data));

    [Fact]
    public void Replacing_the_requestId_keeps_the_rest_of_the_text()
    {
        Assert.Equal("""{"a":"é","requestId":123456,"args":{"requestId":5}}""", EventRefs.WithRequestId("""{"a":"é","requestId":5,"args":{"requestId":5}}""", 123456));
        Assert.Equal("""{"requestId":null,"s":1}""", EventRefs.WithRequestId("""{"requestId":-7,"s":1}""", null));
        Assert.Equal("""{"s":1}""", EventRefs.WithRequestId("""{"s":1}""", 4));
    }

    [Fact]
    public void Host_events_at_or_below_the_mark_or_repeated_in_the_batch_are_dropped_and_the_mark_raised()
    {
        var batch = new[] { Host(10, 3, "{}"), Host(11, 4, "{}"), Host(12, 4, "{}"), Host(13, 5, "{}") };
        var plan = new EventBatchIds(batch);
        Assert.Equal(["h/s"], plan.Sources);
        var result = plan.Assign(null, new Dictionary<string, long> { ["h/s"] = 3 }, NoneStored);
        Assert.Equal([11L, 13L], result.Events.Select(e => e.Id));
        Assert.Equal(5, result.Marks["h/s"]);
    }

    [Fact]
    public void A_named_seq_becomes_the_id_of_that_event_in_the_batch_or_in_the_store_or_null()
    {
        var batch = new[] { Host(20, 7, """{"n":1}""", EventTypes.EgressRequest), Host(21, 8, """{"requestId":7}"""), Host(22, 9, """{"requestId":2}"""), Host(23, 10, """{"requestId":1}""") };
        var plan = new EventBatchIds(batch);
        Assert.Contains(("h/s", 2L), plan.OutsideRefs);
        var result = plan.Assign(null, NoMarks, new Dictionary<(string, long), long> { [("h/s", 2)] = 14 });
        Assert.Equal(["""{"n":1}""", """{"requestId":20}""", """{"requestId":14}""", """{"requestId":null}"""], result.Events.Select(e => e.Data));
        Assert.Same(batch[0], result.Events[0]);
    }

    [Fact]
    public void A_model_calls_bodies_go_under_the_id_its_request_got()
    {
        var bodies = new LlmBodies(LlmBody.Empty, LlmBody.Empty);
        var batch = new[] { Host(30, 1, "{}", EventTypes.EgressRequest), Host(31, 2, """{"requestId":1}""", EventTypes.LlmCall, bodies) };
        var result = new EventBatchIds(batch).Assign(null, NoMarks, NoneStored);
        Assert.Equal(("box", 30L, bodies), Assert.Single(result.Bodies));
    }

    [Fact]
    public void In_a_shared_log_ids_follow_the_floor_and_provisional_ids_named_in_the_batch_become_final()
    {
        var batch = new StoredEvent[]
        {
            new(-1, T, "box", EventTypes.ExecRequest, "{}"),
            Host(-2, 1, "{}", EventTypes.EgressRequest),
            new(-3, T, "box", EventTypes.ExecResponse, """{"requestId":-1}"""),
            Host(-4, 2, """{"requestId":1}"""),
            new(-5, T, "box", EventTypes.ExecResponse, """{"requestId":-99}"""),
            new(500, T, "box", EventTypes.ConfigApply, "{}"),
        };
        var result = new EventBatchIds(batch).Assign(100, NoMarks, NoneStored);
        Assert.Equal([101L, 102L, 103L, 104L, 105L, 500L], result.Events.Select(e => e.Id));
        Assert.Equal("""{"requestId":101}""", result.Events[2].Data);
        Assert.Equal("""{"requestId":102}""", result.Events[3].Data);
        Assert.Equal("""{"requestId":null}""", result.Events[4].Data);
    }

    [Fact]
    public void Provisional_ids_resolve_through_runs_that_merge_while_nobody_writes_between()
    {
        var ids = new ProvisionalIds();
        for (var p = 1; p <= 100; p++) ids.Add(-p, 1000 + p);
        ids.Add(-101, 5000);
        ids.Add(-102, 5001);
        Assert.True(ids.TryResolve(-50, out var a));
        Assert.Equal(1050, a);
        Assert.True(ids.TryResolve(-102, out var b));
        Assert.Equal(5001, b);
        Assert.False(ids.TryResolve(-103, out _));
    }
}
