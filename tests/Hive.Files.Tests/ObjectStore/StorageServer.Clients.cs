using Amazon.S3;
using Azure.Storage.Blobs;
using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>The store clients the object-store tests use on a <see cref="StorageServer"/>.</summary>
public sealed partial class StorageServer
{
    /// <summary>A new empty bucket (or container) with a random name.</summary>
    public string NewBucket()
    {
        var name = "hive-" + Guid.NewGuid().ToString("N")[..12];
        if (Kind == "s3")
        {
            using var client = S3Client();
            client.PutBucketAsync(name).GetAwaiter().GetResult();
        }
        else if (Kind == "gcs") { } // the emulator makes a bucket at its first use (and so never answers "no such bucket")
        else new BlobContainerClient(Credential, name).Create();
        return name;
    }

    public AmazonS3Client S3Client() => new(new Amazon.Runtime.BasicAWSCredentials(S3Key, S3Key),
        new AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED });

    /// <summary>The store as the backend sees it, for <paramref name="bucket"/>.</summary>
    public IObjectStore Store(string bucket) => Kind switch
    {
        "s3" => new S3ObjectStore(bucket, "us-east-1", Endpoint, S3Credential.Parse(Credential)),
        "gcs" => new GcsObjectStore(bucket, Endpoint, GcsCredential.Parse(Credential, Endpoint)),
        _ => new AzureObjectStore(bucket, Endpoint, Credential),
    };
}
