namespace Hive.Runtime.Images;

/// <summary>Metadata of an image: how a sandbox from it starts.</summary>
public sealed record ImageInfo(
    string Name,
    string RootFs,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Cmd,
    IReadOnlyList<string> Env,
    string WorkingDir,
    string User,
    IReadOnlyList<int> ExposedPorts,
    DateTimeOffset CreatedAt,
    long SizeBytes);

/// <summary>One step of a long image operation, for a progress bar.</summary>
public sealed record ImageProgress(string Stage, double Fraction, string? Detail = null);

/// <summary>Images under <c>$HIVE_HOME/images</c>: build, list, find, remove.</summary>
public sealed class ImageStore(string imagesDir)
{
    public string Directory { get; } = imagesDir;

    public IReadOnlyList<ImageInfo> List() => throw new NotImplementedException();

    public ImageInfo? Find(string name) => throw new NotImplementedException();

    /// <summary>Builds a known image ("hive/minimal", "hive/base"). Cached: returns at once when it exists unless <paramref name="force"/>.</summary>
    public Task<ImageInfo> BuildAsync(string name, bool force, IProgress<ImageProgress>? progress, CancellationToken ct) => throw new NotImplementedException();

    public bool Remove(string name) => throw new NotImplementedException();
}
