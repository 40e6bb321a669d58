using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>The pure parts of the gcs store: how write conditions become GCS preconditions, and the endpoint's API base.</summary>
public class GcsObjectStoreTests
{
    [Fact]
    public void Write_conditions_become_ifGenerationMatch()
    {
        Assert.Null(GcsObjectStore.IfGenerationMatch(WriteCondition.None));
        Assert.Equal(0L, GcsObjectStore.IfGenerationMatch(WriteCondition.Absent));
        Assert.Equal(1733500000123456L, GcsObjectStore.IfGenerationMatch(WriteCondition.Matches("1733500000123456")));
        Assert.Throws<ArgumentException>(() => GcsObjectStore.IfGenerationMatch(WriteCondition.Matches("\"0x8DC\"")));
        Assert.Throws<ArgumentException>(() => GcsObjectStore.IfGenerationMatch(WriteCondition.Matches("0")));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9199", "http://127.0.0.1:9199/storage/v1/")]
    [InlineData("http://127.0.0.1:9199/", "http://127.0.0.1:9199/storage/v1/")]
    [InlineData("https://storage.example.test/storage/v1", "https://storage.example.test/storage/v1/")]
    public void The_endpoint_is_a_service_root_or_an_API_base(string endpoint, string apiBase) =>
        Assert.Equal(apiBase, GcsObjectStore.ApiBase(endpoint));

    [Fact]
    public void Anonymous_is_taken_only_for_a_loopback_endpoint()
    {
        Assert.True(GcsCredential.Parse("anonymous", "http://127.0.0.1:9199").IsAnonymous);
        Assert.True(GcsCredential.Parse("anonymous", "http://[::1]:9199").IsAnonymous);
        Assert.Throws<FormatException>(() => GcsCredential.Parse("anonymous", null));
        Assert.Throws<FormatException>(() => GcsCredential.Parse("anonymous", "https://storage.example.test"));
        Assert.Throws<FormatException>(() => GcsCredential.Parse("anonymous", "http://10.0.0.1:9199"));
    }
}
