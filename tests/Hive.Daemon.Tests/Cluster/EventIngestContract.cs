using System.Text.Json;
using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Daemon.Cluster;
using Hive.Daemon.Events;
using Hive.Daemon.Store;

namespace Hive.Daemon.Tests.Cluster;

/// <summary>
/// What the controller does with a host's pushed events, on a real store (SQLite and PostgreSQL run the same cases):
/// stored once however often pushed, the ids they name translated to the controller's, bodies kept under the new id.
/// </summary>
public abstract class EventIngestContract : IDisposable
{
    private readonly IHiveStore _store;
    private readonly EventBus _bus;
    private readonly EventIngest _ingest;

    protected EventIngestContract()
    {
        _store = OpenStore();
        _bus = new EventBus(_store);
        _ingest = new EventIngest(_bus, _store);
    }

    protected abstract IHiveStore OpenStore();

    public virtual void Dispose()
    {
        _bus.Dispose();
        _store.Dispose();
    }

    private static JsonObject Event(long seq, string type, JsonObject data, string sandbox = "box", JsonObject? llm = null)
    {
        var e = new JsonObject { ["seq"] = seq, ["sandbox"] = sandbox, ["type"] = type, ["time"] = "2026-12-06T18:00:00.1234567Z", ["data"] = data };
        if (llm is not null) e["llm"] = llm;
        return e;
    }

    private static JsonElement Batch(string host, string stream, params JsonObject[] events) =>
        JsonDocument.Parse(new JsonObject { ["host"] = host, ["stream"] = stream, ["events"] = new JsonArray(events) }.ToJsonString()).RootElement;

    private static JsonObject Request(string path) => new() { ["access"] = "allowed", ["host"] = "example.test", ["path"] = path };
    private static JsonObject Response(long requestId) => new() { ["requestId"] = requestId, ["status"] = 200 };

    private static JsonObject Llm(string request) => new()
    {
        ["request"] = new JsonObject { ["text"] = request, ["contentType"] = "application/json", ["bytes"] = request.Length, ["truncated"] = false },
        ["response"] = new JsonObject { ["text"] = "{\"ok\":true}", ["contentType"] = null, ["bytes"] = 11, ["truncated"] = false },
    };

    private IReadOnlyList<StoredEvent> All() => _bus.Read(null, 0, 10_000);

    [Fact]
    public async Task A_batch_pushed_twice_is_stored_once_and_acknowledged_both_times()
    {
        var batch = Batch("h1", "s1", Event(1, EventTypes.EgressRequest, Request("/a")), Event(2, EventTypes.EgressResponse, Response(1)));
        Assert.Equal(2, await _ingest.IngestAsync(batch));
        Assert.Equal(2, await _ingest.IngestAsync(batch));
        var all = All();
        Assert.Equal(2, all.Count);
        Assert.Equal([EventTypes.EgressRequest, EventTypes.EgressResponse], all.Select(e => e.Type));
        Assert.Equal(all[0].Id, EventRefs.RequestId(all[1].Data));
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 18, 0, 0, TimeSpan.Zero).AddTicks(1234560), all[0].Ts);
    }

    [Fact]
    public async Task A_push_overlapping_one_already_stored_stores_only_the_new_events_and_translates_across_pushes()
    {
        await _ingest.IngestAsync(Batch("h1", "s1", Event(1, EventTypes.EgressRequest, Request("/a")), Event(2, EventTypes.FsRequest, new JsonObject { ["op"] = "open" })));
        // A local event between the pushes, so that host seqs and controller ids differ.
        _bus.Append("box", EventTypes.SandboxStarted, new JsonObject { ["image"] = "debian" });
        var acked = await _ingest.IngestAsync(Batch("h1", "s1",
            Event(2, EventTypes.FsRequest, new JsonObject { ["op"] = "open" }),
            Event(3, EventTypes.FsResponse, Response(2)),
            Event(4, EventTypes.EgressResponse, Response(1)),
            Event(5, EventTypes.SecretUsed, new JsonObject { ["secret"] = "tok", ["requestId"] = 1, ["host"] = "example.test", ["path"] = "/a", ["method"] = "GET", ["status"] = 200 })));
        Assert.Equal(5, acked);
        var all = All();
        Assert.Equal([EventTypes.EgressRequest, EventTypes.FsRequest, EventTypes.SandboxStarted, EventTypes.FsResponse, EventTypes.EgressResponse, EventTypes.SecretUsed],
            all.Select(e => e.Type));
        Assert.Equal(all[1].Id, EventRefs.RequestId(all[3].Data));
        Assert.Equal(all[0].Id, EventRefs.RequestId(all[4].Data));
        Assert.Equal(all[0].Id, EventRefs.RequestId(all[5].Data));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Id < p.Second.Id));
        // The secret's activity is kept from a host's secret.used too.
        var activity = _store.ReadActivity("tok", null, null, null, 10);
        Assert.Equal(all[5].Id, Assert.Single(activity).Id);
    }

    [Fact]
    public async Task Two_hosts_with_the_same_seqs_are_kept_apart_and_a_new_outbox_of_a_host_starts_afresh()
    {
        await _ingest.IngestAsync(Batch("h1", "s1", Event(1, EventTypes.EgressRequest, Request("/h1"))));
        await _ingest.IngestAsync(Batch("h2", "s1", Event(1, EventTypes.EgressRequest, Request("/h2"))));
        await _ingest.IngestAsync(Batch("h1", "s2", Event(1, EventTypes.EgressRequest, Request("/h1-new")), Event(2, EventTypes.EgressResponse, Response(1))));
        await _ingest.IngestAsync(Batch("h2", "s1", Event(2, EventTypes.EgressResponse, Response(1))));
        var all = All();
        Assert.Equal(5, all.Count);
        Assert.Equal(all[2].Id, EventRefs.RequestId(all[3].Data)); // h1's new outbox: its own seq 1
        Assert.Equal(all[1].Id, EventRefs.RequestId(all[4].Data)); // h2's seq 1
        Assert.Equal(2, _store.HostEventMark("h2/s1"));
        Assert.Equal(0, _store.HostEventMark("h3/s1"));
    }

    [Fact]
    public async Task A_model_calls_bodies_are_stored_under_the_controllers_id_of_its_request()
    {
        _bus.Append("box", EventTypes.SandboxStarted, new JsonObject { ["image"] = "debian" });
        await _ingest.IngestAsync(Batch("h1", "s1", Event(7, EventTypes.EgressRequest, Request("/v1/messages"))));
        await _ingest.IngestAsync(Batch("h1", "s1",
            Event(8, EventTypes.EgressResponse, Response(7)),
            Event(9, EventTypes.LlmCall, new JsonObject { ["requestId"] = 7, ["provider"] = "anthropic" }, llm: Llm("{\"model\":\"m\"}"))));
        var all = All();
        var call = all.Single(e => e.Type == EventTypes.LlmCall);
        var request = all.Single(e => e.Type == EventTypes.EgressRequest);
        Assert.Equal(request.Id, EventRefs.RequestId(call.Data));
        Assert.NotEqual(7, request.Id);
        var bodies = _store.FindLlmBodies("box", request.Id);
        Assert.NotNull(bodies);
        Assert.Equal("{\"model\":\"m\"}", bodies.Request.Text);
        Assert.Null(bodies.Response.ContentType);
        Assert.Null(_store.FindLlmBodies("box", 7));
    }

    [Fact]
    public async Task A_request_that_is_not_stored_is_named_as_null()
    {
        await _ingest.IngestAsync(Batch("h1", "s1", Event(5, EventTypes.EgressResponse, Response(4))));
        var e = Assert.Single(All());
        Assert.Contains("\"requestId\":null", e.Data);
    }

    [Fact]
    public async Task Data_keeps_its_text_apart_from_the_translated_id()
    {
        var data = "{\"requestId\":1,\"status\":200,\"error\":\"caf\\u00e9 \\\"quoted\\\"\",\"nested\":{\"requestId\":1}}";
        var body = JsonDocument.Parse("""{"host":"h1","stream":"s1","events":[""" +
            """{"seq":1,"sandbox":"box","type":"egress.request","time":"2026-12-06T18:00:00Z","data":{"access":"allowed"}},""" +
            """{"seq":2,"sandbox":"box","type":"egress.response","time":"2026-12-06T18:00:00Z","data":""" + data + "}]}").RootElement;
        _bus.Append("box", EventTypes.SandboxStarted, new JsonObject());
        await _ingest.IngestAsync(body);
        var all = All();
        Assert.Equal(data.Replace("{\"requestId\":1,", $"{{\"requestId\":{all[1].Id},"), all[2].Data);
    }

    [Theory]
    [InlineData("""{"events":[]}""", "host: must be a non-empty string")]
    [InlineData("""{"host":"a b","events":[]}""", "host: must be 1-253")]
    [InlineData("""{"host":"h","stream":"x/y","events":[]}""", "stream: must be the outbox's id")]
    [InlineData("""{"host":"h","events":{}}""", "events: must be an array")]
    [InlineData("""{"host":"h","events":[{"seq":0,"sandbox":"b","type":"dns.query","time":"2026-12-06T18:00:00Z","data":{}}]}""", "events[0].seq: must be a positive integer")]
    [InlineData("""{"host":"h","events":[{"seq":2,"sandbox":"b","type":"dns.query","time":"2026-12-06T18:00:00Z","data":{}},{"seq":2,"sandbox":"b","type":"dns.query","time":"2026-12-06T18:00:00Z","data":{}}]}""", "events[1].seq: must be greater than the previous event's (2)")]
    [InlineData("""{"host":"h","events":[{"seq":1,"sandbox":"../b","type":"dns.query","time":"2026-12-06T18:00:00Z","data":{}}]}""", "events[0].sandbox: not a sandbox name")]
    [InlineData("""{"host":"h","events":[{"seq":1,"sandbox":"b","type":"dns.nope","time":"2026-12-06T18:00:00Z","data":{}}]}""", "events[0].type: unknown event type 'dns.nope'")]
    [InlineData("""{"host":"h","events":[{"seq":1,"sandbox":"b","type":"dns.query","time":"yesterday","data":{}}]}""", "events[0].time: must be an RFC 3339 time")]
    [InlineData("""{"host":"h","events":[{"seq":1,"sandbox":"b","type":"dns.query","time":"2026-12-06T18:00:00Z","data":[]}]}""", "events[0].data: must be a JSON object")]
    [InlineData("""{"host":"h","events":[{"seq":1,"sandbox":"b","type":"dns.query","time":"2026-12-06T18:00:00Z","data":{},"llm":{}}]}""", "events[0].llm: only an llm.call carries bodies")]
    [InlineData("""{"host":"h","events":[{"seq":1,"sandbox":"b","type":"llm.call","time":"2026-12-06T18:00:00Z","data":{},"llm":{"request":{"text":"x","bytes":1,"truncated":false}}}]}""", "events[0].llm.response: must be an object")]
    public async Task A_bad_batch_is_refused_naming_the_field_and_stores_nothing(string body, string error)
    {
        var e = await Assert.ThrowsAsync<EventIngestException>(() => _ingest.IngestAsync(JsonDocument.Parse(body).RootElement));
        Assert.StartsWith(error, e.Message);
        Assert.Empty(All());
    }
}

public sealed class SqliteEventIngestTests : EventIngestContract
{
    private string? _dir;

    protected override IHiveStore OpenStore()
    {
        _dir = Directory.CreateTempSubdirectory("hive-ingest-").FullName;
        return new SqliteStore(Path.Combine(_dir, "hive.db"));
    }

    public override void Dispose()
    {
        base.Dispose();
        if (_dir is not null) Directory.Delete(_dir, recursive: true);
    }
}

[Collection(Store.PostgresCollection.Name)]
public sealed class PostgresEventIngestTests(Store.PostgresServerFixture pg) : EventIngestContract
{
    protected override IHiveStore OpenStore() => new PostgresStore(DatabaseUrl.Parse(pg.Server.Url(pg.Server.CreateDatabase())));
}
