using Hive.Core.Events;
using Hive.Daemon.Store;

namespace Hive.Daemon.Tests;

public sealed class EventPageBeforeTests
{
    [Theory]
    [InlineData(false, 0, "INTEGER PRIMARY KEY")]
    [InlineData(false, 1, "INDEX events_type ")]
    [InlineData(true, 1, "INDEX events_sandbox_type ")]
    [InlineData(true, 0, "INDEX events_sandbox ")]
    public void Paging_back_reads_an_index_backwards_instead_of_scanning_or_sorting(bool bySandbox, int types, string index)
    {
        using var c = new Controller();
        var text = QueryPlan.Of(c.DatabasePath, EventPageSql.Page('$', bySandbox, types, before: true), 1000L);
        Assert.Contains(index, text);
        Assert.StartsWith("SEARCH events", text);
        Assert.DoesNotContain("TEMP B-TREE", text);
    }

    [Fact]
    public void A_page_before_an_id_holds_the_events_just_before_it_oldest_first()
    {
        using var c = new Controller();
        string[] types = [EventTypes.EgressRequest, EventTypes.DnsQuery, EventTypes.FsRequest];
        for (var i = 0; i < 300; i++) c.Events.Enqueue(i % 2 == 0 ? "a" : "b", types[i % types.Length]);
        var all = c.Events.Read(null, 0, 10_000);

        var newest = c.Events.ReadBefore(null, long.MaxValue, 50);
        Assert.Equal(all.TakeLast(50).Select(e => e.Id), newest.Select(e => e.Id));

        var back = c.Events.ReadBefore("a", newest[0].Id, 20, EventTypeFilter.Parse("egress.*,fs.*"));
        var expected = all.Where(e => e.Sandbox == "a" && e.Id < newest[0].Id && e.Type is EventTypes.EgressRequest or EventTypes.FsRequest)
            .TakeLast(20).Select(e => e.Id);
        Assert.Equal(expected, back.Select(e => e.Id));
        Assert.Empty(c.Events.ReadBefore(null, all[0].Id, 10));
    }
}
