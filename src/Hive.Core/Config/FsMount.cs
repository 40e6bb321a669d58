namespace Hive.Core.Config;

public enum FsBackend { Local, Azure, S3, Gcs }

public enum AclAccess { Rw, Ro, Deny }

/// <summary>One file ACL rule. <see cref="Path"/> is an absolute glob inside the mount (<c>*</c>, <c>**</c>, <c>?</c>).</summary>
public sealed record AclRule(string Path, AclAccess Access);

public sealed record FsMount
{
    public required FsBackend Backend { get; init; }

    /// <summary>Absolute, normalised path inside the sandbox.</summary>
    public required string Mount { get; init; }

    /// <summary>Local backend: the named volume (always set after parsing unless <see cref="Origin"/> is).</summary>
    public string? Volume { get; init; }

    /// <summary>Local backend: a host directory used instead of a volume.</summary>
    public string? Origin { get; init; }

    /// <summary>Azure backend: the blob container.</summary>
    public string? Container { get; init; }

    /// <summary>S3 and GCS backends: the bucket.</summary>
    public string? Bucket { get; init; }

    /// <summary>Object-store backends: an optional object name prefix inside the bucket or container.</summary>
    public string? Prefix { get; init; }

    /// <summary>S3 backend: the region (signing and the default endpoint).</summary>
    public string? Region { get; init; }

    /// <summary>Object-store backends: the service URL (any S3-compatible service, Azurite, a GCS emulator).</summary>
    public string? Endpoint { get; init; }

    /// <summary>Object-store backends: the NAME of the Hive secret holding the credentials, never a value.</summary>
    public string? Credentials { get; init; }

    /// <summary>True for the backends whose files live in an object store.</summary>
    public bool IsObjectStore => Backend is FsBackend.S3 or FsBackend.Azure or FsBackend.Gcs;

    /// <summary>Ordered rules, first match wins, no match denies. An empty list therefore denies everything.</summary>
    public required IReadOnlyList<AclRule> Acls { get; init; }

    public bool Equals(FsMount? other) =>
        other is not null
        && Backend == other.Backend
        && Mount == other.Mount
        && Volume == other.Volume
        && Origin == other.Origin
        && Container == other.Container
        && Bucket == other.Bucket
        && Prefix == other.Prefix
        && Region == other.Region
        && Endpoint == other.Endpoint
        && Credentials == other.Credentials
        && Equality.Lists(Acls, other.Acls);

    public override int GetHashCode() => HashCode.Combine(Backend, Mount, Volume, Origin, Container ?? Bucket, Prefix, Endpoint, Acls.Count);
}
