using Hive.Core.Config;
using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// What create/apply answers about an object-store mount (<see cref="ObjectStoreFactory.Check"/>), asked of real servers:
/// each problem names the field and says what the store answered, and never shows the secret's value.
/// </summary>
[Collection("objstore")]
public class ObjectStoreCheckTests(StorageServers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static FsMount Mount(string kind, string bucket, string endpoint) => new()
    {
        Backend = kind switch { "s3" => FsBackend.S3, "gcs" => FsBackend.Gcs, _ => FsBackend.Azure },
        Mount = "/data",
        Bucket = kind == "azure" ? null : bucket,
        Container = kind == "azure" ? bucket : null,
        Region = kind == "s3" ? "us-east-1" : null,
        Endpoint = endpoint,
        Credentials = "store-key",
        Acls = [new AclRule("/data/**", AclAccess.Rw)],
    };

    [Theory]
    [MemberData(nameof(ObjectStoreMount.StoreKinds), MemberType = typeof(ObjectStoreMount))]
    [InlineData("gcs")]
    public void A_reachable_bucket_with_good_credentials_passes(string kind)
    {
        var server = servers.For(kind);
        Assert.Empty(ObjectStoreFactory.Check(Mount(kind, server.NewBucket(), server.Endpoint), 0, server.Credential, Timeout));
    }

    [Theory]
    [MemberData(nameof(ObjectStoreMount.StoreKinds), MemberType = typeof(ObjectStoreMount))]
    public void Each_problem_names_its_field_and_what_the_store_answered(string kind)
    {
        var server = servers.For(kind);
        var bucket = server.NewBucket();
        var good = Mount(kind, bucket, server.Endpoint);

        var missing = Assert.Single(ObjectStoreFactory.Check(good, 2, null, Timeout));
        Assert.Equal("fs[2].credentials", missing.Path);
        Assert.Contains("no secret named \"store-key\"", missing.Message);

        var malformed = Assert.Single(ObjectStoreFactory.Check(good, 0, "not-a-key-pair", Timeout));
        Assert.Equal("fs[0].credentials", malformed.Path);
        Assert.DoesNotContain("not-a-key-pair", malformed.Message);

        var noBucket = Assert.Single(ObjectStoreFactory.Check(Mount(kind, "hive-missing-" + Guid.NewGuid().ToString("N")[..8], server.Endpoint), 0, server.Credential, Timeout));
        Assert.Equal(kind == "azure" ? "fs[0].container" : "fs[0].bucket", noBucket.Path);
        Assert.Contains(kind switch { "s3" => "NoSuchBucket", "gcs" => "bucket does not exist", _ => "ContainerNotFound" }, noBucket.Message);

        var wrongKey = kind switch
        {
            "s3" => "NOT-A-KNOWN-KEY:not-the-secret",
            "gcs" => GcsServiceAccount.Unknown,
            _ => server.Credential.Replace(StorageServer.AzuriteKey, Convert.ToBase64String(new byte[64])),
        };
        var refused = Assert.Single(ObjectStoreFactory.Check(good, 0, wrongKey, Timeout));
        Assert.Equal("fs[0].credentials", refused.Path);
        Assert.Contains("refused the credentials in secret \"store-key\"", refused.Message);
        Assert.DoesNotContain("not-the-secret", refused.Message);

        var closedPort = Mount(kind, bucket, kind == "s3" ? "http://127.0.0.1:9" : "http://127.0.0.1:9/devstoreaccount1");
        var unreachable = Assert.Single(ObjectStoreFactory.Check(closedPort, 0, server.Credential, Timeout));
        Assert.Equal("fs[0].endpoint", unreachable.Path);
        Assert.Contains("could not be reached", unreachable.Message);
        Assert.DoesNotContain(StorageServer.AzuriteKey, unreachable.Message + refused.Message + noBucket.Message);
    }

    [Fact]
    public void Gcs_problems_name_their_field_and_never_show_the_secret()
    {
        var server = servers.For("gcs");
        var good = Mount("gcs", server.NewBucket(), server.Endpoint);

        var missing = Assert.Single(ObjectStoreFactory.Check(good, 1, null, Timeout));
        Assert.Equal("fs[1].credentials", missing.Path);

        foreach (var bad in new[] { "not-a-key-file", "{\"type\": \"authorized_user\", \"refresh_token\": \"not-the-secret\"}", "{\"type\": \"service_account\", \"private_key\": \"not-the-secret\"}" })
        {
            var malformed = Assert.Single(ObjectStoreFactory.Check(good, 0, bad, Timeout));
            Assert.Equal("fs[0].credentials", malformed.Path);
            Assert.Contains("service-account key", malformed.Message);
            Assert.DoesNotContain("not-the-secret", malformed.Message);
            Assert.DoesNotContain("not-a-key-file", malformed.Message);
        }

        // "anonymous" is for an emulator on loopback only, and is refused before anything is sent elsewhere.
        Assert.Empty(ObjectStoreFactory.Check(good, 0, GcsCredential.Anonymous, Timeout));
        var notLoopback = Assert.Single(ObjectStoreFactory.Check(good with { Endpoint = null }, 0, GcsCredential.Anonymous, Timeout));
        Assert.Equal("fs[0].credentials", notLoopback.Path);
        Assert.Contains("only taken for an emulator", notLoopback.Message);

        var closedPort = good with { Endpoint = "http://127.0.0.1:9" };
        var unreachable = Assert.Single(ObjectStoreFactory.Check(closedPort, 0, server.Credential, Timeout));
        Assert.Equal("fs[0].endpoint", unreachable.Path);
        Assert.Contains("could not be reached", unreachable.Message);
        Assert.DoesNotContain(GcsServiceAccount.PrivateKeyPem.Split('\n')[1], unreachable.Message);
    }

    [Fact(Skip = StorageServer.GcsEmulatorChecksNothing)]
    public void Each_problem_names_its_field_and_what_the_store_answered_gcs() => Each_problem_names_its_field_and_what_the_store_answered("gcs");
}
