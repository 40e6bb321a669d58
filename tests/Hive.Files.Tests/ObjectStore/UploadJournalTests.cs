using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>The upload journal reuses a removed entry's file for the next entry instead of freeing one inode and making another.</summary>
public class UploadJournalTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("hive-journal-test-").FullName;

    private string Pending => Path.Combine(_cache, "pending");

    private static UploadJournal.Entry Entry(string key, string? etag = null) => new(key, key, etag, "/nonexistent/" + key);

    [Fact]
    public void A_removed_entry_becomes_the_next_entrys_file_and_is_never_listed()
    {
        var journal = new UploadJournal(_cache);
        journal.Add(Entry("a"));
        var file = Directory.GetFiles(Pending).Single();
        var inode = Inode(file);
        journal.Remove("a");
        Assert.Empty(journal.All());
        Assert.Single(Directory.GetFiles(Pending, "*.free"));

        journal.Add(Entry("b", "\"v1\""));
        var entry = Assert.Single(journal.All());
        Assert.Equal(("b", "\"v1\""), (entry.Key, entry.BaseETag));
        var now = Directory.GetFiles(Pending).Single();
        Assert.EndsWith(".json", now);
        Assert.Equal(inode, Inode(now));
    }

    [Fact]
    public void Removing_a_key_without_an_entry_changes_nothing_and_stale_spares_go_at_start()
    {
        var journal = new UploadJournal(_cache);
        journal.Remove("none");
        Assert.Empty(Directory.GetFiles(Pending));
        journal.Add(Entry("a"));
        journal.Remove("a");
        Assert.Single(Directory.GetFiles(Pending, "*.free"));

        var next = new UploadJournal(_cache);
        Assert.Empty(Directory.GetFiles(Pending));
        next.Add(Entry("c"));
        Assert.Equal("c", Assert.Single(next.All()).Key);
    }

    [Fact]
    public void At_most_sixteen_spares_are_kept()
    {
        var journal = new UploadJournal(_cache);
        for (var i = 0; i < 40; i++) journal.Add(Entry("k" + i));
        Assert.Equal(40, journal.All().Count);
        for (var i = 0; i < 40; i++) journal.Remove("k" + i);
        Assert.Empty(journal.All());
        Assert.Equal(16, Directory.GetFiles(Pending, "*.free").Length);
    }

    private static string Inode(string file) => FuseFixture.Run($"stat -c %i '{file}'", uid: 0).AssertOk().Stdout.Trim();

    public void Dispose() => Directory.Delete(_cache, recursive: true);
}
