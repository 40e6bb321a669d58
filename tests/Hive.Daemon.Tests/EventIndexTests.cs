using Hive.Core.Events;
using Hive.Daemon.Store;

namespace Hive.Daemon.Tests;

public sealed class EventIndexTests
{
    [Theory]
    [InlineData(false, 1, "events_type")]
    [InlineData(true, 1, "events_sandbox_type")]
    [InlineData(true, 0, "events_sandbox")]
    public void Type_filtered_reads_search_an_index_instead_of_scanning_the_log(bool bySandbox, int types, string index)
    {
        using var c = new Controller();
        var text = QueryPlan.Of(c.DatabasePath, EventPageSql.Page('$', bySandbox, types, before: false), 0L);
        Assert.Contains($"SEARCH events USING INDEX {index} ", text);
        Assert.DoesNotContain("SCAN", text);
        Assert.DoesNotContain("TEMP B-TREE", text);
    }

    [Theory]
    [InlineData(false, false, "events_type")]
    [InlineData(true, false, "events_sandbox_type")]
    [InlineData(false, true, "events_type")]
    [InlineData(true, true, "events_sandbox_type")]
    public void Several_types_are_merged_from_one_index_search_each_without_sorting(bool bySandbox, bool before, string index)
    {
        using var c = new Controller();
        var text = QueryPlan.Of(c.DatabasePath, EventPageSql.Page('$', bySandbox, 3, before), 1000L);
        // Merged as they are read (co-routines), stopped at the limit: no temporary B-tree of every matching row.
        Assert.Contains("MERGE (UNION ALL)", text);
        Assert.Equal(3, text.Split($"SEARCH events USING INDEX {index} ").Length - 1);
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
