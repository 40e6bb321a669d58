using Hive.Core.Config;
using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Core.Secrets;
using Hive.Daemon.Store;

namespace Hive.Daemon.Tests.Store;

/// <summary>
/// What every store must do, run against each implementation (<see cref="SqliteStoreContractTests"/>,
/// <see cref="PostgresStoreContractTests"/>): the daemon relies on exactly this and nothing that one of them does alone.
/// </summary>
public abstract class StoreContract : IDisposable
{
    protected static readonly DateTimeOffset T0 = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);
    private readonly List<IHiveStore> _opened = [];

    /// <summary>A store on this test's database (the same database each call, a new instance).</summary>
    protected abstract IHiveStore OpenStore();

    /// <summary>Puts a schema version above what this hive knows into the database (as a newer hive would have).</summary>
    protected abstract void MarkNewerSchema(int version);

    protected IHiveStore Open()
    {
        var s = OpenStore();
        _opened.Add(s);
        return s;
    }

    public virtual void Dispose()
    {
        foreach (var s in _opened) s.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static SandboxConfig Config(string image = "hive/minimal", string env = "") =>
        ConfigParser.Parse($$"""{ "image": "{{image}}", "env": { {{env}} } }""", "box").Config ?? throw new InvalidOperationException("test config does not parse");

    [Fact]
    public void A_new_store_is_migrated_to_the_newest_schema_and_reopening_changes_nothing()
    {
        var first = Open();
        Assert.True(first.SchemaVersion >= 1);
        first.InsertSandbox("a", Config(), T0, 10);
        var again = Open();
        Assert.Equal(first.SchemaVersion, again.SchemaVersion);
        Assert.Equal("a", Assert.Single(again.ListSandboxes()).Name);
    }

    [Fact]
    public void A_database_written_by_a_newer_hive_is_refused_with_a_clear_error()
    {
        Open().Dispose();
        MarkNewerSchema(999);
        var e = Assert.Throws<InvalidOperationException>(Open);
        Assert.Contains("schema version 999", e.Message);
        Assert.Contains("newer", e.Message);
    }

    [Fact]
    public void Sandbox_names_are_unique_and_capacity_is_enforced_and_new_rows_hold_no_slot()
    {
        var s = Open();
        Assert.Equal(0, s.InsertSandbox("a", Config(), T0, 3)!.Slot);
        Assert.Equal(0, s.InsertSandbox("b", Config(), T0.AddSeconds(1), 3)!.Slot);
        Assert.Equal(0, s.InsertSandbox("c", Config(), T0.AddSeconds(2), 3)!.Slot);
        Assert.Null(s.InsertSandbox("a", Config(), T0, 3));
        var full = Assert.Throws<InvalidOperationException>(() => s.InsertSandbox("d", Config(), T0, 3));
        Assert.Contains("no free network slot", full.Message);
        Assert.Null(s.FindSandbox("d"));

        s.DeleteSandbox("b");
        Assert.NotNull(s.InsertSandbox("d", Config(), T0.AddSeconds(3), 3));
        Assert.Equal(["a", "c", "d"], s.ListSandboxes().Select(x => x.Name));
        Assert.All(s.ListSandboxes(), x => Assert.Null(x.Host));
    }

    [Fact]
    public void A_sandbox_round_trips_and_updates_change_only_what_they_name()
    {
        var s = Open();
        var created = T0.AddTicks(1234560); // microseconds are kept by every store
        s.InsertSandbox("box", Config(env: "\"A\": \"1\""), created, 10);
        var found = s.FindSandbox("box")!;
        Assert.Equal(SandboxStatus.Creating, found.Status);
        Assert.Equal(created, found.CreatedAt);
        Assert.Equal("1", found.Config.Env["A"]);
        Assert.Null(found.Error);

        s.UpdateSandbox("box", SandboxStatus.Failed, "runc said no");
        Assert.Equal(("failed", "runc said no"), (s.FindSandbox("box")!.Status, s.FindSandbox("box")!.Error));
        s.UpdateSandbox("box", SandboxStatus.Running, config: Config(env: "\"A\": \"2\""));
        Assert.Equal(("running", null, "2"), (s.FindSandbox("box")!.Status, s.FindSandbox("box")!.Error, s.FindSandbox("box")!.Config.Env["A"]));
        s.UpdateSandboxConfig("box", Config(image: "hive/base", env: "\"A\": \"3\""));
        var after = s.FindSandbox("box")!;
        Assert.Equal(("running", "hive/base", "3"), (after.Status, after.Config.Image, after.Config.Env["A"]));
        Assert.Null(s.FindSandbox("nothing"));
    }

    [Fact]
    public async Task Two_store_instances_creating_at_once_never_exceed_the_capacity()
    {
        var (one, two) = (Open(), Open());
        var creates = Enumerable.Range(0, 40).Select(i => Task.Run(() =>
        {
            try { return (i % 2 == 0 ? one : two).InsertSandbox($"s{i}", Config(), T0, 30); }
            catch (InvalidOperationException) { return null; }
        }));
        var records = await Task.WhenAll(creates);
        Assert.Equal(30, records.Count(r => r is not null));
        Assert.Equal(30, one.ListSandboxes().Count);
    }

    private static HostRecord Host(string name, DateTimeOffset seen, string status = HostStatus.Live, int capacity = 10) =>
        new(name, new Uri($"https://{name}:7443/"), capacity, new Dictionary<string, string> { ["zone"] = "a", ["gpu"] = "no" }, seen, status);

    [Fact]
    public void Hosts_are_upserted_by_heartbeat_and_read_back_as_written()
    {
        var s = Open();
        Assert.Empty(s.ListHosts());
        var seen = T0.AddTicks(1234560);
        s.UpsertHost(Host("h2", seen));
        s.UpsertHost(Host("h1", seen, capacity: 3));
        s.UpsertHost(Host("h1", seen.AddSeconds(5), capacity: 4) with { Advertise = new Uri("https://10.0.0.9:7443/") });
        var hosts = s.ListHosts();
        Assert.Equal(["h1", "h2"], hosts.Select(h => h.Name));
        var h1 = hosts[0];
        Assert.Equal((4, "https://10.0.0.9:7443/", seen.AddSeconds(5), HostStatus.Live), (h1.Capacity, h1.Advertise.ToString(), h1.LastSeen, h1.Status));
        Assert.Equal(new Dictionary<string, string> { ["gpu"] = "no", ["zone"] = "a" }, h1.Labels);
        Assert.Equal("h2", s.FindHost("h2")!.Name);
        Assert.Null(s.FindHost("nope"));
    }

    [Fact]
    public void A_host_is_marked_lost_only_when_its_last_heartbeat_is_older_than_the_cutoff()
    {
        var s = Open();
        s.UpsertHost(Host("h1", T0));
        Assert.False(s.SetHostStatus("h1", HostStatus.Lost, seenBefore: T0), "a heartbeat at the cutoff is not missed");
        Assert.True(s.SetHostStatus("h1", HostStatus.Lost, seenBefore: T0.AddSeconds(1)));
        Assert.False(s.SetHostStatus("h1", HostStatus.Lost), "already lost: nothing changes");
        Assert.Equal(HostStatus.Lost, s.FindHost("h1")!.Status);
        Assert.True(s.SetHostStatus("h1", HostStatus.Live));
        Assert.False(s.SetHostStatus("unknown", HostStatus.Lost));
        // a heartbeat after the cutoff wins over a lost-detection that read the older time
        s.UpsertHost(Host("h1", T0.AddSeconds(20)));
        Assert.False(s.SetHostStatus("h1", HostStatus.Lost, seenBefore: T0.AddSeconds(15)));
    }

    [Fact]
    public void Sandboxes_are_placed_once_listed_and_counted_by_host()
    {
        var s = Open();
        foreach (var n in new[] { "a", "b", "c", "d" }) s.InsertSandbox(n, Config(), T0, 10);
        Assert.True(s.PlaceSandbox("a", "h1", expected: null));
        Assert.False(s.PlaceSandbox("a", "h2", expected: null), "already placed: the second placement loses");
        Assert.True(s.PlaceSandbox("a", "h2", expected: "h1"));
        Assert.False(s.PlaceSandbox("gone", "h1", expected: null));
        s.SetSandboxHost("b", "h2");
        s.SetSandboxHost("c", "h1");
        Assert.Equal("h2", s.FindSandbox("a")!.Host);
        Assert.Equal(["a", "b"], s.ListSandboxesOnHost("h2").Select(x => x.Name));
        Assert.Equal(new Dictionary<string, int> { ["h1"] = 1, ["h2"] = 2 }, s.CountSandboxesByHost());
        s.SetSandboxHost("c", null);
        Assert.Empty(s.ListSandboxesOnHost("h1"));
        Assert.Null(s.FindSandbox("c")!.Host);
        s.UpdateSandbox("a", SandboxStatus.Lost);
        Assert.Equal((SandboxStatus.Lost, "h2"), (s.FindSandbox("a")!.Status, s.ListSandboxes().Single(x => x.Name == "a").Host));
    }

    [Fact]
    public void Activity_keeps_the_latest_use_each_instance_reported_and_ignores_unknown_names()
    {
        var (one, two) = (Open(), Open());
        one.InsertSandbox("a", Config(), T0, 10);
        one.InsertSandbox("b", Config(), T0, 10);
        Assert.Null(one.FindSandbox("a")!.LastActive);
        one.RecordActivity([new("a", T0.AddSeconds(50)), new("gone", T0)]);
        two.RecordActivity([new("a", T0.AddSeconds(20)), new("b", T0.AddSeconds(5))]); // an older report does not win
        Assert.Equal(T0.AddSeconds(50), two.FindSandbox("a")!.LastActive);
        Assert.Equal(T0.AddSeconds(5), one.ListSandboxes().Single(x => x.Name == "b").LastActive);
        two.RecordActivity([new("a", T0.AddSeconds(70.25))]);
        Assert.Equal(T0.AddSeconds(70.25), one.FindSandbox("a")!.LastActive);
        one.RecordActivity([]);
    }

    [Fact]
    public async Task Two_store_instances_placing_one_sandbox_at_once_place_it_once()
    {
        var (one, two) = (Open(), Open());
        for (var i = 0; i < 20; i++) one.InsertSandbox($"s{i}", Config(), T0, 100);
        var wins = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => (i % 2 == 0 ? one : two).PlaceSandbox($"s{i / 2}", $"h{i % 2}", null))));
        Assert.Equal(20, wins.Count(w => w));
        Assert.All(one.ListSandboxes(), x => Assert.NotNull(x.Host));
    }

    private static List<StoredEvent> Events(long firstId, int count, Func<int, string> sandbox, Func<int, string> type, DateTimeOffset? ts = null) =>
        [.. Enumerable.Range(0, count).Select(i => new StoredEvent(firstId + i, (ts ?? T0).AddMilliseconds(i), sandbox(i), type(i), $"{{\"n\":{i}}}"))];

    [Fact]
    public void Events_are_read_forward_and_backward_by_sandbox_and_type_in_id_order()
    {
        var s = Open();
        Assert.Equal(0, s.LastEventId());
        Assert.Equal(0, s.FirstEventId());
        string[] types = [EventTypes.EgressRequest, EventTypes.DnsQuery, EventTypes.FsRequest, EventTypes.EgressResponse];
        var all = Events(1, 400, i => i % 3 == 0 ? "a" : "b", i => types[i % 4]);
        s.InsertEvents(all[..150]);
        s.InsertEvents(all[150..]);
        Assert.Equal((1, 400), (s.FirstEventId(), s.LastEventId()));

        Assert.Equal(all.Select(e => e.Id), s.ReadEvents(null, 0, 1000).Select(e => e.Id));
        Assert.Equal(all.Where(e => e.Id > 100).Take(7).Select(e => e.Id), s.ReadEvents(null, 100, 7).Select(e => e.Id));
        Assert.Equal(all.Where(e => e.Sandbox == "a" && e.Id > 10).Take(20).Select(e => e.Id), s.ReadEvents("a", 10, 20).Select(e => e.Id));
        string[] wanted = [EventTypes.EgressResponse, EventTypes.EgressRequest];
        Assert.Equal(all.Where(e => e.Sandbox == "b" && wanted.Contains(e.Type) && e.Id > 5).Take(30).Select(e => e.Id),
            s.ReadEvents("b", 5, 30, wanted).Select(e => e.Id));
        Assert.Equal(all.Where(e => e.Type == EventTypes.DnsQuery).Select(e => e.Id), s.ReadEvents(null, 0, 1000, [EventTypes.DnsQuery]).Select(e => e.Id));

        Assert.Equal(all.Where(e => e.Id < 401).TakeLast(25).Select(e => e.Id), s.ReadEventsBefore(null, 401, 25).Select(e => e.Id));
        Assert.Equal(all.Where(e => e.Sandbox == "a" && e.Id < 200).TakeLast(10).Select(e => e.Id), s.ReadEventsBefore("a", 200, 10).Select(e => e.Id));
        Assert.Equal(all.Where(e => e.Sandbox == "b" && wanted.Contains(e.Type) && e.Id < 300).TakeLast(9).Select(e => e.Id),
            s.ReadEventsBefore("b", 300, 9, wanted).Select(e => e.Id));
        Assert.Empty(s.ReadEvents(null, 0, 10, ["nothing.here"]));
        Assert.Empty(s.ReadEvents("nobody", 0, 10));
    }

    [Fact]
    public void An_event_comes_back_exactly_as_stored_and_survives_reopening()
    {
        var s = Open();
        var data = """{"z":1,  "a":"ünïcødé \"quoted\" \\ <tag>","nested":{"b":[1,2,3]},"n":null}""";
        var ts = T0.AddTicks(9876540);
        s.InsertEvents([new StoredEvent(7, ts, "box", EventTypes.ExecRequest, data)]);
        s.Dispose();
        var reopened = Open();
        var e = Assert.Single(reopened.ReadEvents(null, 0, 10));
        Assert.Equal(new StoredEvent(7, ts, "box", EventTypes.ExecRequest, data), e);
        Assert.Equal(7, reopened.LastEventId());
    }

    [Fact]
    public void Pruning_by_age_deletes_only_older_events_and_always_keeps_the_newest()
    {
        var s = Open();
        s.InsertEvents(Events(1, 5000, _ => "box", _ => EventTypes.EgressRequest, T0.AddDays(-40)));
        s.InsertEvents(Events(5001, 300, _ => "box", _ => EventTypes.EgressRequest, T0.AddDays(-29)));
        Assert.Equal(5000, s.PruneEvents(T0, TimeSpan.FromDays(30), null));
        Assert.Equal((5001, 5300), (s.FirstEventId(), s.LastEventId()));

        Assert.Equal(299, s.PruneEvents(T0, TimeSpan.FromDays(1), null));
        Assert.Equal([5300L], s.ReadEvents(null, 0, 10).Select(e => e.Id));
        Assert.Equal(0, s.PruneEvents(T0, TimeSpan.FromDays(1), null));
    }

    [Fact]
    public void Pruning_by_size_keeps_the_newest_events_under_the_limit()
    {
        var s = Open();
        var pad = new string('x', 1000);
        for (var b = 0; b < 10; b++)
            s.InsertEvents([.. Enumerable.Range(0, 1000).Select(i => new StoredEvent(b * 1000 + i + 1, T0, "box", EventTypes.EgressRequest, $"{{\"pad\":\"{pad}\"}}"))]);
        var used = s.UsedBytes();
        Assert.InRange(used, 10_000_000, 40_000_000);
        var limit = used / 2;
        var deleted = s.PruneEvents(T0, null, limit);
        Assert.InRange(deleted, 4000, 7000);
        Assert.True(s.UsedBytes() <= limit, $"used {s.UsedBytes()} after pruning to {limit}");
        Assert.Equal(10_000, s.LastEventId());
        Assert.Equal(deleted + 1, s.FirstEventId());
        Assert.Equal(0, s.PruneEvents(T0, null, limit));
    }

    [Fact]
    public void A_model_calls_bodies_are_kept_for_its_sandbox_replaced_by_a_second_store_and_pruned_with_its_request()
    {
        var s = Open();
        s.InsertEvents(Events(1, 10, _ => "box", _ => EventTypes.EgressRequest, T0.AddDays(-40)));
        s.InsertEvents(Events(11, 10, _ => "box", _ => EventTypes.EgressRequest, T0));
        var bodies = new LlmBodies(new("{\"q\":\"ünï\"}", "application/json", 7, false), new("data: x", null, 7, true));
        s.InsertLlmBodies("box", 5, bodies with { Response = new("old", null, 3, false) });
        s.InsertLlmBodies("box", 5, bodies);
        s.InsertLlmBodies("box", 15, bodies);
        Assert.Equal(bodies, s.FindLlmBodies("box", 5));
        Assert.Null(s.FindLlmBodies("other", 5)); // another sandbox's call is not found
        Assert.Null(s.FindLlmBodies("box", 6));

        Assert.Equal(10, s.PruneEvents(T0, TimeSpan.FromDays(30), null));
        Assert.Null(s.FindLlmBodies("box", 5));
        Assert.Equal(bodies, s.FindLlmBodies("box", 15));
    }

    private static SecretRecord Secret(string scope, string name, bool global = false, byte[]? value = null) =>
        new(scope, name, global, "anthropic", ["api.anthropic.com", "*.anthropic.com"], new SecretAuth(SecretAuthType.Header, "x-api-key", null, null),
            value ?? [1, 2, 3], T0, null);

    [Fact]
    public void Secrets_are_created_replaced_rotated_and_deleted_keeping_their_creation_time()
    {
        var s = Open();
        Assert.True(s.UpsertSecret(Secret("", "key", global: true)));
        Assert.True(s.UpsertSecret(Secret("box", "key")));
        Assert.False(s.UpsertSecret(Secret("", "key", global: true, value: [9]) with { CreatedAt = T0.AddDays(5) }));
        var global = s.FindSecret("", "key")!;
        Assert.Equal(T0, global.CreatedAt);
        Assert.Equal([9], global.Sealed);
        Assert.Equal(["api.anthropic.com", "*.anthropic.com"], global.Hosts!);
        Assert.Equal(new SecretAuth(SecretAuthType.Header, "x-api-key", null, null), global.Auth);
        Assert.Equal(["", "box"], s.FindSecrets("key").Select(x => x.Scope));
        Assert.Equal(2, s.ListSecrets().Count);

        Assert.True(s.RotateSecret("", "key", [7, 7], T0.AddHours(1)));
        Assert.Equal([7, 7], s.FindSecret("", "key")!.Sealed);
        Assert.Equal(T0.AddHours(1), s.FindSecret("", "key")!.RotatedAt);
        Assert.False(s.RotateSecret("", "missing", [1], T0));

        Assert.True(s.DeleteSecret("box", "key"));
        Assert.False(s.DeleteSecret("box", "key"));
        Assert.Null(s.FindSecret("box", "key"));
    }

    [Fact]
    public void A_stand_in_is_kept_once_made_and_deleting_a_global_secret_unbinds_its_automatic_stand_ins()
    {
        var s = Open();
        s.UpsertSecret(Secret("", "key", global: true));
        Assert.Equal("first", s.EnsureStandIn("box", "key", "first", auto: true));
        Assert.Equal("first", s.EnsureStandIn("box", "key", "second", auto: false));
        Assert.True(Assert.Single(s.ListStandIns("box")).Auto);
        s.EnsureStandIn("other", "key", "o", auto: false);

        s.DeleteSecret("", "key");
        Assert.False(Assert.Single(s.ListStandIns("box")).Auto);
        Assert.Equal("first", s.ListStandIns("box")[0].StandIn);

        s.UpsertSecret(Secret("box", "own"));
        s.DeleteSandboxSecrets("box");
        Assert.Empty(s.ListStandIns("box"));
        Assert.Null(s.FindSecret("box", "own"));
        Assert.Single(s.ListStandIns("other"));
    }

    [Fact]
    public void Secret_events_become_the_secrets_activity_and_other_events_do_not()
    {
        var s = Open();
        StoredEvent Used(long id, string sandbox, int status) => new(id, T0.AddSeconds(id), sandbox, "secret.used",
            $$"""{"secret":"key","method":"POST","host":"api.anthropic.com","path":"/v1/messages","status":{{status}},"upstreamStatus":{{status}},"durationMs":12}""");
        s.InsertEvents([
            Used(1, "a", 200), Used(2, "b", 401),
            new(3, T0, "a", "secret.misuse", """{"secret":"key","host":"evil.test","status":403,"error":"wrong host"}"""),
            new(4, T0, "a", EventTypes.EgressRequest, """{"secret":"key","host":"x"}"""),
            new(5, T0, "a", "secret.bound", """{"sandboxes":1}"""),
            Used(6, "a", 201),
        ]);
        Assert.Equal([6L, 3, 2, 1], s.ReadActivity("key", null, null, null, 10).Select(a => a.Id));
        var misuse = s.ReadActivity("key", "a", null, null, 10).Single(a => a.Id == 3);
        Assert.Equal(("misuse", "evil.test", 403, "wrong host", null), (misuse.Kind, misuse.Host, misuse.Status, misuse.Error, misuse.Method));
        var used = s.ReadActivity("key", null, null, null, 10).Single(a => a.Id == 2);
        Assert.Equal(("used", "b", "POST", "/v1/messages", 401, 401, 12L), (used.Kind, used.Sandbox, used.Method, used.Path, used.Status, used.UpstreamStatus, used.DurationMs));
        Assert.Equal(T0.AddSeconds(2), used.Ts);
        Assert.Equal([6L, 1], s.ReadActivity("key", null, new ActivityStatusFilter(200, 299), null, 10).Select(a => a.Id));
        Assert.Equal([3L, 2], s.ReadActivity("key", null, null, 6, 2).Select(a => a.Id));
        Assert.Empty(s.ReadActivity("other", null, null, null, 10));
    }

    [Fact]
    public void Meta_values_are_set_overwritten_and_read()
    {
        var s = Open();
        Assert.Null(s.GetMeta("k"));
        s.SetMeta("k", "1");
        s.SetMeta("k", "2");
        Assert.Equal("2", Open().GetMeta("k"));
    }
}
