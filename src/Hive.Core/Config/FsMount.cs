namespace Hive.Core.Config;

public enum FsBackend { Local, Azure }

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

    /// <summary>Azure backend: an optional blob name prefix inside the container.</summary>
    public string? Prefix { get; init; }

    /// <summary>Ordered rules, first match wins, no match denies. An empty list therefore denies everything.</summary>
    public required IReadOnlyList<AclRule> Acls { get; init; }

    public bool Equals(FsMount? other) =>
        other is not null
        && Backend == other.Backend
        && Mount == other.Mount
        && Volume == other.Volume
        && Origin == other.Origin
        && Container == other.Container
        && Prefix == other.Prefix
        && Equality.Lists(Acls, other.Acls);

    public override int GetHashCode() => HashCode.Combine(Backend, Mount, Volume, Origin, Container, Prefix, Acls.Count);
}
