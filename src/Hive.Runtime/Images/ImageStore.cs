using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;

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
/// <remarks>
/// Layout: <c>&lt;dir&gt;/&lt;name with '/' as '_'&gt;/{rootfs/,image.json}</c>. A build fills a sibling
/// <c>&lt;name&gt;.partial-&lt;random&gt;</c> and renames it into place only when complete, under an flock on
/// <c>&lt;dir&gt;/.lock-&lt;name&gt;</c>, so a crash or cancellation never leaves half an image under the real name.
/// </remarks>
public sealed class ImageStore(string imagesDir)
{
    private readonly ImageBuilderOptions _options = ImageBuilderOptions.Default;

    internal ImageStore(string imagesDir, ImageBuilderOptions options) : this(imagesDir) => _options = options;

    public string Directory { get; } = imagesDir;

    private string Root => Path.GetFullPath(Directory);

    public IReadOnlyList<ImageInfo> List()
    {
        var result = new List<ImageInfo>();
        if (!System.IO.Directory.Exists(Root)) return result;
        foreach (var dir in new DirectoryInfo(Root).EnumerateDirectories())
        {
            if (ImageNames.IsTransientDirectory(dir.Name) || dir.LinkTarget is not null) continue;
            var fallbackName = dir.Name.Replace('_', '/');
            if (TryRead(dir.FullName, expectedName: null, fallbackName) is { } info) result.Add(info);
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>The image called <paramref name="name"/> (an optional ":latest" tag is ignored), or null.</summary>
    public ImageInfo? Find(string name)
    {
        var normalized = ImageNames.Normalize(name);
        return TryRead(ImageDir(normalized), normalized, normalized);
    }

    /// <summary>Builds a known image ("hive/minimal", "hive/base"). Cached: returns at once when it exists unless <paramref name="force"/>.</summary>
    public async Task<ImageInfo> BuildAsync(string name, bool force, IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        var normalized = ImageNames.Normalize(name);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Images are built on Linux only.");
        var builder = CreateBuilder(normalized);
        if (!force && Find(normalized) is { } cached)
        {
            progress?.Report(new ImageProgress("cached", 1, normalized));
            return cached;
        }
        if (!Environment.IsPrivilegedProcess)
        {
            throw new ImageBuildException($"Building {normalized} needs root: image files must be owned by root and by uid {UnixAccounts.AgentId}.");
        }

        return await ProduceAsync(normalized, reuseExisting: !force, builder.BuildAsync, progress, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Imports a <c>docker save</c> archive or an OCI image layout (a tar) as <paramref name="name"/>, replacing an
    /// image of that name. A bad or hostile archive throws <see cref="ImageImportException"/> and leaves nothing behind.
    /// </summary>
    public async Task<ImageInfo> ImportAsync(string name, string archivePath, IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        var normalized = ImageNames.Normalize(name);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Images are imported on Linux only.");
        if (!Environment.IsPrivilegedProcess)
        {
            throw new ImageImportException($"Importing {normalized} needs root: image files keep the owners the archive gives them.");
        }
        if (!File.Exists(archivePath)) throw new ImageImportException($"{archivePath}: no such file.");
        var archive = Path.GetFullPath(archivePath);
        return await ProduceAsync(
            normalized,
            reuseExisting: false,
            (rootfs, report, token) => ImageImporter.ImportAsync(archive, rootfs, report, token),
            progress,
            ct).ConfigureAwait(false);
    }

    /// <summary>Fills a partial directory with <paramref name="fill"/> under the image's lock, then publishes it atomically.</summary>
    [SupportedOSPlatform("linux")]
    private async Task<ImageInfo> ProduceAsync(
        string normalized,
        bool reuseExisting,
        Func<string, IProgress<ImageProgress>, CancellationToken, Task<ImageManifest>> fill,
        IProgress<ImageProgress>? progress,
        CancellationToken ct)
    {
        var report = new MonotonicProgress(progress);
        System.IO.Directory.CreateDirectory(Root);
        var dirName = ImageNames.ToDirectoryName(normalized);
        using var buildLock = await ImageBuildLock.AcquireAsync(
            Path.Combine(Root, ".lock-" + dirName),
            () => report.Report(new ImageProgress("waiting", 0, $"another build of {normalized} is running")),
            ct).ConfigureAwait(false);

        // Whoever held the lock may have just built it.
        if (reuseExisting && Find(normalized) is { } builtMeanwhile)
        {
            report.Report(new ImageProgress("cached", 1, normalized));
            return builtMeanwhile;
        }
        RemoveLeftovers(dirName);

        var final = ImageDir(normalized);
        var partial = Path.Combine(Root, $"{dirName}.partial-{RandomSuffix()}");
        System.IO.Directory.CreateDirectory(partial);
        File.SetUnixFileMode(partial, RootfsFiles.Mode0755);
        try
        {
            var rootfs = Path.Combine(partial, "rootfs");
            var manifest = await fill(rootfs, report, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();

            report.Report(new ImageProgress("finishing", 0.99, "measuring and syncing"));
            manifest = manifest with
            {
                Name = normalized,
                CreatedAt = DateTimeOffset.UtcNow,
                SizeBytes = RootfsFiles.SizeOfRegularFiles(rootfs),
            };
            manifest.Write(Path.Combine(partial, ImageManifest.FileName));
            ImageNative.SyncFileSystem(partial);
            ct.ThrowIfCancellationRequested();

            Publish(partial, final);
            report.Report(new ImageProgress("finishing", 1, normalized));
            return TryRead(final, normalized, normalized) ?? manifest.ToInfo(normalized, Path.Combine(final, "rootfs"));
        }
        finally
        {
            // After a failure this is the half-built image; after a forced rebuild, the old one swapped out.
            TryDelete(partial);
        }
    }

    public bool Remove(string name)
    {
        var normalized = ImageNames.Normalize(name);
        var dir = ImageDir(normalized);
        if (!System.IO.Directory.Exists(dir)) return false;
        // Rename first: the image disappears atomically, and a crash mid-delete leaves only a transient leftover.
        var doomed = Path.Combine(Root, $"{ImageNames.ToDirectoryName(normalized)}.removing-{RandomSuffix()}");
        try
        {
            System.IO.Directory.Move(dir, doomed);
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        DirectoryRemover.Delete(doomed);
        return true;
    }

    [SupportedOSPlatform("linux")]
    private IImageBuilder CreateBuilder(string normalized) => normalized switch
    {
        ImageNames.Minimal => new MinimalImageBuilder(_options.BusyboxPath),
        ImageNames.Base => new DebootstrapImageBuilder(_options),
        _ => throw new ArgumentException(
            $"Cannot build '{normalized}': buildable images are {string.Join(", ", ImageNames.Buildable)}. Import other images instead.",
            "name"),
    };

    private string ImageDir(string normalized) => Path.Combine(Root, ImageNames.ToDirectoryName(normalized));

    private static ImageInfo? TryRead(string dir, string? expectedName, string fallbackName)
    {
        var rootfs = Path.Combine(dir, "rootfs");
        var manifestPath = Path.Combine(dir, ImageManifest.FileName);
        if (!File.Exists(manifestPath) || !System.IO.Directory.Exists(rootfs)) return null;
        ImageManifest manifest;
        try
        {
            manifest = ImageManifest.Read(manifestPath);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null; // unreadable manifests are not images
        }
        var name = manifest.Name ?? fallbackName;
        // 'a/b' and 'a_b' share a directory; the manifest says which one lives there.
        if (expectedName is not null && name != expectedName) return null;
        return manifest.ToInfo(name, rootfs);
    }

    /// <summary>Moves a finished build to its real name; with an existing image, swaps the two atomically.</summary>
    private static void Publish(string partial, string final)
    {
        if (!System.IO.Directory.Exists(final))
        {
            System.IO.Directory.Move(partial, final);
            return;
        }
        if (ImageNative.TryExchange(partial, final)) return;
        // No RENAME_EXCHANGE on this file system: two renames, with a short window where the name is missing.
        var old = partial + ".old-" + RandomSuffix();
        System.IO.Directory.Move(final, old);
        System.IO.Directory.Move(partial, final);
        TryDelete(old);
    }

    /// <summary>Partial and old directories of this image left by a crash. Only called while holding its lock.</summary>
    private void RemoveLeftovers(string dirName)
    {
        foreach (var dir in System.IO.Directory.EnumerateDirectories(Root, dirName + ".*"))
        {
            var leaf = Path.GetFileName(dir);
            if (leaf.StartsWith(dirName + ".partial-", StringComparison.Ordinal) ||
                leaf.StartsWith(dirName + ".old-", StringComparison.Ordinal) ||
                leaf.StartsWith(dirName + ".removing-", StringComparison.Ordinal))
            {
                TryDelete(dir);
            }
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            DirectoryRemover.Delete(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next build of this image, which removes leftovers under its lock.
        }
    }

    private static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
}
