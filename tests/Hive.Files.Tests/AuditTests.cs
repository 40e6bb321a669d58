using Hive.Files.Audit;

namespace Hive.Files.Tests;

[Collection("fuse")]
public class AuditTests
{
    [Fact]
    public void Operations_that_matter_are_recorded_with_reads_and_writes_aggregated()
    {
        using var f = new FuseFixture(options: new FuseOptions { Passthrough = false });
        f.Sh("""
            mkdir d && head -c 10000 /dev/zero > d/f && cat d/f > /dev/null && cat d/f > /dev/null &&
            mv d/f d/g && ln d/g d/h && ln -s g d/s && chmod 600 d/g && rm d/h && rm d/s && rm d/g && rmdir d
            """).AssertOk();
        var records = f.Audit.Records.ToArray();
        FsAuditRecord Find(FsOp op, string path) => Assert.Single(records, r => r.Op == op && r.Path == path);

        Assert.True(Find(FsOp.Mkdir, "/workspace/d").Allowed);
        var create = Find(FsOp.Create, "/workspace/d/f");
        Assert.Equal("w,trunc,create", create.Detail);
        Assert.Equal((uint)FuseFixture.AgentUid, create.Uid);
        var write = Find(FsOp.Write, "/workspace/d/f");
        Assert.Equal(10000, write.Bytes);
        var reads = records.Where(r => r.Op == FsOp.Read && r.Path == "/workspace/d/f").ToArray();
        Assert.Equal(2, reads.Length);
        Assert.All(reads, r => Assert.Equal(10000, r.Bytes));
        Assert.Equal(2, records.Count(r => r.Op == FsOp.Open && r.Path == "/workspace/d/f" && r.Detail == "r"));
        Assert.Equal("/workspace/d/g", Find(FsOp.Rename, "/workspace/d/f").Detail);
        Assert.Equal("/workspace/d/h", Find(FsOp.Link, "/workspace/d/g").Detail);
        Assert.Equal("g", Find(FsOp.Symlink, "/workspace/d/s").Detail);
        Assert.Equal("mode=600", Find(FsOp.Setattr, "/workspace/d/g").Detail);
        Find(FsOp.Unlink, "/workspace/d/h");
        Find(FsOp.Unlink, "/workspace/d/g");
        Find(FsOp.Rmdir, "/workspace/d");
        Assert.All(records, r => Assert.True(r.Allowed));
        Assert.All(records, r => Assert.Equal("/workspace", r.Mount));
        // lookups and getattr are not recorded unless denied
        Assert.DoesNotContain(records, r => r.Op is FsOp.Lookup or FsOp.Getattr);
    }

    [Fact]
    public void Passthrough_opens_say_so_and_carry_no_byte_counts()
    {
        using var f = new FuseFixture(options: new FuseOptions { Passthrough = true });
        if (!f.Mount.Passthrough) return; // kernel without passthrough: nothing to check
        f.Sh("echo hi > p && cat p > /dev/null").AssertOk();
        var records = f.Audit.Records.ToArray();
        Assert.Contains(records, r => r.Op == FsOp.Create && r.Detail == "w,trunc,create,passthrough");
        Assert.Contains(records, r => r.Op == FsOp.Open && r.Detail == "r,passthrough");
        Assert.DoesNotContain(records, r => r.Op is FsOp.Read or FsOp.Write);
    }

    [Fact]
    public void Record_names_match_the_event_vocabulary()
    {
        var record = new FsAuditRecord("/workspace", "/workspace/a", FsOp.Open, false, 1.5, 2, null, "r", 1000, 42);
        Assert.Equal("open", record.OpName);
        Assert.Equal("denied", record.Access);
        Assert.Equal("ENOENT", record.ErrorName);
        Assert.Null((record with { Error = 0 }).ErrorName);
        Assert.Equal("allowed", (record with { Allowed = true }).Access);
        foreach (var op in Enum.GetValues<FsOp>())
            Assert.Equal(op.ToString().ToLowerInvariant(), (record with { Op = op }).OpName);
    }
}
