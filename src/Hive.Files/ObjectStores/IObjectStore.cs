namespace Hive.Files.ObjectStores;

/// <summary>What a store reports about one object (HEAD, or an entry of a listing).</summary>
/// <param name="Key">The full object name in the bucket or container.</param>
/// <param name="ETag">The store's entity tag, as it spells it (quotes included), used for conditional writes.</param>
/// <param name="Symlink">
/// Whether the object is a symbolic link (its metadata says so, its content is the target): known from a HEAD, and from
/// a listing where the store lists metadata (Azure); null when the answer did not say (an S3 listing).
/// </param>
public sealed record ObjectInfo(string Key, long Size, string ETag, DateTimeOffset LastModified, bool? Symlink = null);

/// <summary>One page of a listing: objects, and the common prefixes up to the delimiter (the "directories").</summary>
/// <param name="Continuation">Where the next page starts, or null when this was the last.</param>
public sealed record ObjectPage(IReadOnlyList<ObjectInfo> Objects, IReadOnlyList<string> Prefixes, string? Continuation);

/// <summary>The condition a write is made under, so that a newer object written elsewhere is never silently replaced.</summary>
public readonly record struct WriteCondition(string? IfMatch, bool IfNoneMatch)
{
    public static WriteCondition None => default;

    /// <summary>Only when no object has the name yet.</summary>
    public static WriteCondition Absent => new(null, true);

    /// <summary>Only when the object is still the one with <paramref name="etag"/>.</summary>
    public static WriteCondition Matches(string etag) => new(etag, false);
}

/// <summary>The store refused a conditional write: the object is not (or no longer) what the writer started from.</summary>
public sealed class ObjectConflictException(string key, Exception? inner = null)
    : Exception($"object {key} was changed by another writer", inner)
{
    public string Key { get; } = key;
}

/// <summary>The store answered with an error (or could not be reached); the message says what it answered.</summary>
public sealed class ObjectStoreException(string message, ObjectStoreFailure failure, Exception? inner = null) : Exception(message, inner)
{
    public ObjectStoreFailure Failure { get; } = failure;
}

public enum ObjectStoreFailure
{
    /// <summary>The bucket or container does not exist.</summary>
    NoBucket,
    /// <summary>The credentials were refused.</summary>
    Denied,
    /// <summary>The store could not be reached or did not answer in time.</summary>
    Unreachable,
    /// <summary>Anything else the store answered.</summary>
    Other,
}

/// <summary>
/// An object store (S3, Azure Blob, GCS) as the object-store file system backend needs it: flat keys, listing by prefix
/// and delimiter with paging, whole or ranged reads, conditional writes, multipart for large objects. Implementations
/// translate the SDK's errors: a missing object is null or false, a failed condition <see cref="ObjectConflictException"/>,
/// everything else <see cref="ObjectStoreException"/>. No method ever shows a credential in a message.
/// </summary>
public interface IObjectStore : IDisposable
{
    /// <summary><c>s3:bucket</c>, <c>azure:container</c>: for diagnostics and to tell which mounts share storage.</summary>
    string Description { get; }

    /// <summary>One page of the keys that start with <paramref name="prefix"/>; with a delimiter, what lies deeper is rolled up into prefixes.</summary>
    Task<ObjectPage> ListAsync(string prefix, string? delimiter, string? continuation, int pageSize, CancellationToken ct);

    /// <summary>The object's size, ETag and modification time, or null when there is none.</summary>
    Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct);

    /// <summary>Copies the object (or <paramref name="length"/> bytes from <paramref name="offset"/>) into <paramref name="destination"/>; null when there is none.</summary>
    Task<ObjectInfo?> GetAsync(string key, Stream destination, long offset, long? length, CancellationToken ct);

    /// <summary>Writes the file at <paramref name="path"/> as the object, in parts when it is large; returns what the store made.</summary>
    Task<ObjectInfo> PutFileAsync(string key, string path, WriteCondition condition, CancellationToken ct);

    /// <summary>Writes a small object from memory (directory markers, empty files).</summary>
    Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, WriteCondition condition, CancellationToken ct);

    /// <summary>
    /// Writes a symbolic link: an object whose content is <paramref name="target"/> and whose metadata marks it a link, as
    /// the store's own FUSE tools do (s3fs: <c>mode</c> with S_IFLNK; blobfuse2: <c>is_symlink</c>). A store that cannot
    /// mark one refuses (the mount answers EPERM).
    /// </summary>
    Task<ObjectInfo> PutSymlinkAsync(string key, string target, WriteCondition condition, CancellationToken ct) =>
        throw new NotSupportedException($"{Description} does not store symlinks");

    /// <summary>Copies an object, with its metadata (a symlink stays one), inside the store (rename is copy then delete).</summary>
    Task<ObjectInfo> CopyAsync(string from, string to, CancellationToken ct);

    /// <summary>Deletes the object; false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken ct);

    /// <summary>
    /// The object that keeps an empty directory (<paramref name="directory"/> ends with '/'): <c>dir/</c> itself, as the
    /// S3 console and most tools make it; a store that cannot hold a name ending in '/' names one inside.
    /// </summary>
    string DirectoryMarker(string directory) => directory;

    /// <summary>Checks that the bucket or container exists and the credentials may list it (create/apply refuses otherwise).</summary>
    Task ProbeAsync(CancellationToken ct);
}
