using Hive.Core.Events;
using Hive.Daemon.Store;

namespace Hive.Daemon.Tests;

public sealed class EventIndexTests
{
    [Theory]
    [InlineData(SqliteStore.TypeEventsAfter, "events_type")]
    [InlineData(SqliteStore.SandboxTypeEventsAfter, "events_sandbox_type")]
    [InlineData(SqliteStore.SandboxEventsAfter, "events_sandbox")]
    public void Type_filtered_reads_search_an_index_instead_of_scanning_the_log(string sql, string index)
    {
        using var c = new Controller();
        var text = QueryPlan.Of(c.DatabasePath, sql, 0L);
        Assert.Contains($"SEARCH events USING INDEX {index} ", text);
        Assert.DoesNotContain("SCAN", text);
        Assert.DoesNotContain("TEMP B-TREE", text);
    }

    [Fact]
    public void A_filtered_page_holds_the_matching_events_in_id_order_up_to_the_limit()
    {
        using var c = new Controller();
        string[] types = [EventTypes.EgressRequest, EventTypes.DnsQuery, EventTypes.FsRequest, EventTypes.EgressResponse];
        for (var i = 0; i < 400; i++) c.Events.Enqueue(i % 3 == 0 ? "a" : "b", types[i % types.Length]);
        var filter = EventTypeFilter.Parse("egress.*,fs.request");

        var all = c.Events.Read(null, 0, 10_000, filter);
        Assert.Equal(300, all.Count);
        Assert.All(all, e => Assert.True(filter.Matches(e.Type)));
        Assert.Equal(all.Select(e => e.Id).Order(), all.Select(e => e.Id));

        var page = c.Events.Read("a", all[10].Id, 25, filter);
        var expected = all.Where(e => e.Sandbox == "a" && e.Id > all[10].Id).Take(25).Select(e => e.Id);
        Assert.Equal(expected, page.Select(e => e.Id));

        Assert.Empty(c.Events.Read(null, 0, 10, EventTypeFilter.Parse("nothing.*")));
    }
}
