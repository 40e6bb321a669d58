using Hive.SafePaths;

namespace Hive.Runtime.Host;

/// <summary>
/// The files the daemon gives a sandbox (resolv.conf, the CA, the trust bundle). They are written in the sandbox's own
/// directory on the host and bound read-only into the container by runc, which makes their mount points inside the
/// root itself, resolving every symlink there within the root. The daemon never writes into a container's root: an
/// agent that is root in its image and replaced <c>/etc</c> (or any directory on the way) with a symlink to a host
/// path gets the bind inside its own root, not a file on the host.
/// </summary>
public static class DaemonFiles
{
    /// <summary>What the daemon reads of an image's own copy of a file (a trust bundle is a few hundred KB).</summary>
    public const int MaxImageFileBytes = 16 << 20;

    /// <summary>Writes the files to <paramref name="directory"/> (the daemon's) and returns the read-only binds that bring them in.</summary>
    /// <param name="imageRoot">The image's root file system (not the container's): what a file's content starts from.</param>
    public static IReadOnlyList<MountPlan> Prepare(string directory, string imageRoot, IReadOnlyList<RootFile> files)
    {
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var plans = new List<MountPlan>();
        using var image = InRoot.Open(imageRoot, InRoot.Image);
        foreach (var file in files)
        {
            var source = Path.Combine(directory, SourceName(file.Path));
            // Written anew, never through what is there: the directory is the daemon's, this is belt and braces.
            File.Delete(source);
            File.WriteAllText(source, file.Content(ImageCopy(image, file.Path)));
            File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            plans.Add(new MountPlan(file.Path, source, ReadOnly: true));
        }
        return plans;
    }

    /// <summary>"/etc/ssl/certs/ca-certificates.crt" → "etc_ssl_certs_ca-certificates.crt": one flat directory, no collisions between daemon paths.</summary>
    public static string SourceName(string sandboxPath) => sandboxPath.Trim('/').Replace("_", "__").Replace('/', '_');

    /// <summary>
    /// The image's own copy (resolved inside the image, symlinks included, as the container would see it), or null
    /// when it has none or none the daemon will read: not a regular file, too large, or through a link out of the image.
    /// </summary>
    private static string? ImageCopy(InRoot image, string path)
    {
        try
        {
            return image.ReadAllText(path, MaxImageFileBytes);
        }
        catch (InRootException)
        {
            return null;
        }
    }
}
