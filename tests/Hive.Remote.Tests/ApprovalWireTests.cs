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

    /// <summary>The mirror fills from the host's watch stream a round trip after first use.</summary>
    private static async Task<T> Eventually<T>(Func<T> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var value = read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(20);
        }
    }
}
