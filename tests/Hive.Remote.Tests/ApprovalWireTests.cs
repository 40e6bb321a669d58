using System.Text.Json.Nodes;

namespace Hive.Remote.Tests;

/// <summary>A remote host's held requests through the controller's queue proxy: listed, followed, claimed, decided.</summary>
public sealed class ApprovalWireTests
{
    [Fact]
    public async Task Held_requests_are_listed_followed_claimed_and_decided_on_the_host()
    {
        await using var server = await HostServer.StartAsync();
        var first = server.Fake.Queue.Hold("apr_0000000000000001");
        var queue = server.Client.Approvals;

        var pending = Assert.Single(await Eventually(() => queue.Pending(), p => p.Count > 0));
        Assert.Equal(first.ToJson().ToJsonString(), pending.ToJson().ToJsonString());
        using var watch = queue.Watch();

        server.Fake.Queue.Hold("apr_0000000000000002", "sb2");
        var change = await watch.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(("pending", "apr_0000000000000002", "sb2"), (change.Type, change.Request.Id, change.Request.Sandbox));
        Assert.Equal(2, queue.Pending().Count);

        var held = queue.Find("apr_0000000000000001")!;
        Assert.NotNull(held);
        Assert.True(queue.TryClaim(held));
        Assert.False(queue.TryClaim(held)); // one decider
        queue.Unclaim(held);
        Assert.True(queue.TryClaim(held));
        queue.Decide(held, new ApprovalOutcome("allow", "token", "allow once"), new JsonObject { ["scope"] = "once" });

        var (id, outcome, details) = Assert.Single(server.Fake.Queue.Decisions);
        Assert.Equal("apr_0000000000000001", id);
        Assert.Equal(new ApprovalOutcome("allow", "token", "allow once"), outcome);
        Assert.Equal("""{"scope":"once"}""", details.ToJsonString());

        var decided = await watch.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(("decided", "apr_0000000000000001", "allow"), (decided.Type, decided.Request.Id, decided.Outcome!.Decision));
        Assert.Null(queue.Find("apr_0000000000000001"));
        Assert.Equal("allow", queue.Decided("apr_0000000000000001")!.Decision);
        Assert.Null(queue.Decided("apr_00000000000000ff"));
        Assert.Equal(["apr_0000000000000002"], queue.Pending().Select(h => h.Id));
    }

    [Fact]
    public async Task A_claim_of_a_controller_that_died_is_released_after_its_lease_and_a_live_one_is_kept()
    {
        await using var server = await HostServer.StartAsync(claimLease: TimeSpan.FromSeconds(1));
        server.Fake.Queue.Hold("apr_0000000000000001");
        server.Fake.Queue.Hold("apr_0000000000000002");
        var dying = server.ClientWith(server.ControllerTls);
        using var other = server.ClientWith(server.ControllerTls);

        // A controller claims a request, then dies mid-decision: it renews no more.
        var held = Assert.Single(await Eventually(() => dying.Approvals.Pending(), p => p.Count == 2), h => h.Id == "apr_0000000000000001");
        Assert.True(dying.Approvals.TryClaim(held));
        Assert.False(other.Approvals.TryClaim(held));
        dying.Dispose();
        await Eventually(() => server.Fake.Queue.IsClaimed(held.Id), claimed => !claimed, TimeSpan.FromSeconds(10));
        Assert.False(server.Fake.Queue.IsClaimed(held.Id), "the dead controller's claim was not released");
        // Another controller decides it.
        Assert.True(other.Approvals.TryClaim(held));
        other.Approvals.Decide(held, new ApprovalOutcome("deny", "token", "deny once"), new JsonObject());
        Assert.Equal("deny", Assert.Single(server.Fake.Queue.Decisions).Outcome.Decision);

        // A live controller renews its claim: three leases later it is still its own, and its decision lands.
        var kept = Assert.Single(await Eventually(() => other.Approvals.Pending(), p => p.Count == 1));
        Assert.True(other.Approvals.TryClaim(kept));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(server.Fake.Queue.IsClaimed(kept.Id));
        Assert.False(server.Client.Approvals.TryClaim(kept));
        other.Approvals.Decide(kept, new ApprovalOutcome("allow", "token", "allow once"), new JsonObject());
        Assert.Equal(2, server.Fake.Queue.Decisions.Count);
    }

    /// <summary>The mirror fills from the host's watch stream a round trip after first use.</summary>
    private static async Task<T> Eventually<T>(Func<T> read, Func<T, bool> done, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(20);
        }
    }
}
