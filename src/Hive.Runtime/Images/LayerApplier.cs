using System.Formats.Tar;
using System.Runtime.Versioning;
using System.Text;

namespace Hive.Runtime.Images;

/// <summary>
/// Applies image layers (tar streams) to a root file system in order, as overlayfs would stack them: whiteouts
/// (<c>.wh.NAME</c>) delete, opaque markers (<c>.wh..wh..opq</c>) hide the lower content of a directory.
/// </summary>
/// <remarks>
/// Nothing an entry says is trusted: paths are normalised and must stay below the root, every directory on the
/// way is checked with lstat, and a symlink on the way is only followed when it is relative and stays inside the
/// image. The final component is never followed: whatever is there is replaced. The only writer of the tree is
/// this code, so lstat checks cannot be raced by the archive.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class LayerApplier(string rootfs)
{
    public const long MaxEntrySize = 8L << 30;
    public const int MaxNameBytes = 4096;
    public const int MaxEntries = 1_000_000;
    private const int MaxSymlinkHops = 40;
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const UnixFileMode SetIdBits = UnixFileMode.SetUser | UnixFileMode.SetGroup;

    private readonly string _root = Path.GetFullPath(rootfs).TrimEnd('/');
    private int _entries;
    private int _hops;

    public async Task ApplyAsync(Stream layer, string layerName, CancellationToken ct)
    {
        var written = new HashSet<string>(StringComparer.Ordinal); // paths this layer created: opaque markers keep them
        await using var reader = new TarReader(layer, leaveOpen: true);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            TarEntry? entry;
            try
            {
                entry = await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FormatException or InvalidDataException or EndOfStreamException or ArgumentException)
            {
                throw new ImageImportException($"{layerName} is not a valid tar archive: {ex.Message}", ex);
            }
            if (entry is null) return;
            if (++_entries > MaxEntries)
            {
                throw new ImageImportException($"{layerName}: more than {MaxEntries:N0} entries; refusing the archive.");
            }
            try
            {
                await ApplyEntryAsync(entry, written, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
            {
                throw new ImageImportException($"{layerName}: '{entry.Name}' is truncated or corrupt: {ex.Message}", ex);
            }
            catch (ImageImportException ex)
            {
                throw new ImageImportException($"{layerName}: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ImageImportException($"{layerName}: cannot extract '{entry.Name}': {ex.Message}", ex);
            }
        }
    }

    private async Task ApplyEntryAsync(TarEntry entry, HashSet<string> written, CancellationToken ct)
    {
        var name = entry.Name;
        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes || Encoding.UTF8.GetByteCount(entry.LinkName) > MaxNameBytes)
        {
            throw Refuse(name[..Math.Min(name.Length, 80)] + "...", $"its name or link target is longer than {MaxNameBytes} bytes");
        }
        if (entry.Length is < 0 or > MaxEntrySize)
        {
            throw Refuse(name, $"it declares {entry.Length:N0} bytes, over the {MaxEntrySize >> 30} GiB limit");
        }
        switch (entry.EntryType)
        {
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
            case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
            case TarEntryType.LongPath or TarEntryType.LongLink:
                return; // device nodes come from the runtime; metadata entries are consumed by TarReader
        }

        var parts = Split(name, name);
        if (parts.Count == 0) return; // "./": the root itself keeps the mode it was created with
        var leaf = parts[^1];
        var parent = Resolve(parts[..^1], create: true, name)!;

        if (leaf == OpaqueMarker)
        {
            var dir = Full(parent);
            foreach (var child in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                if (!written.Contains(Rel([.. parent, child.Name]))) Remove(child.FullName);
            }
            return;
        }
        if (leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            var hidden = leaf[WhiteoutPrefix.Length..];
            if (hidden is "" or "." or "..") throw Refuse(name, "it is a whiteout of nothing");
            Remove(Full([.. parent, hidden]));
            return;
        }

        List<string> target = [.. parent, leaf];
        var path = Full(target);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (Lstat(path) != Kind.Directory)
                {
                    Remove(path);
                    Directory.CreateDirectory(path);
                }
                SetOwnerAndMode(path, entry);
                break;

            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                Remove(path);
                await using (var file = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, // O_EXCL: never opens through a symlink
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                }))
                {
                    if (entry.DataStream is { } data) await data.CopyToAsync(file, ct).ConfigureAwait(false);
                    if (file.Length != entry.Length) throw new EndOfStreamException($"{file.Length} of {entry.Length} bytes");
                }
                SetOwnerAndMode(path, entry);
                break;

            case TarEntryType.SymbolicLink:
                if (entry.LinkName.Length == 0) throw Refuse(name, "it is a symlink without a target");
                Remove(path);
                File.CreateSymbolicLink(path, entry.LinkName); // kept verbatim, never followed here
                ImageNative.Chown(path, entry.Uid, entry.Gid);
                break;

            case TarEntryType.HardLink:
                var linkParts = Split(entry.LinkName, name);
                if (linkParts.Count == 0) throw Refuse(name, "it is a hard link to the root directory");
                var linkParent = Resolve(linkParts[..^1], create: false, name);
                var existing = linkParent is null ? null : Full([.. linkParent, linkParts[^1]]);
                if (existing is null || Lstat(existing) is Kind.Missing or Kind.Directory)
                {
                    throw Refuse(name, $"it is a hard link to '{entry.LinkName}', which is not a file extracted before it");
                }
                if (existing == path) break;
                Remove(path);
                ImageNative.HardLink(existing, path);
                break;

            default:
                throw Refuse(name, $"its type {entry.EntryType} is not supported");
        }
        written.Add(Rel(target));
    }

    /// <summary>Directories and files a runtime needs, whatever the image has: /dev /proc /sys /tmp, /etc/hosts, /etc/resolv.conf.</summary>
    public void EnsureRuntimeFiles()
    {
        EnsureDir("dev", RootfsFiles.Mode0755);
        EnsureDir("proc", RootfsFiles.Mode0755);
        EnsureDir("sys", RootfsFiles.Mode0755);
        EnsureDir("tmp", RootfsFiles.Mode1777);
        EnsureDir("etc", RootfsFiles.Mode0755);
        EnsureFile("etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
        EnsureFile("etc/resolv.conf", "");
    }

    private void EnsureDir(string rel, UnixFileMode mode)
    {
        var path = Full([rel]);
        if (Lstat(path) == Kind.Directory) return;
        Remove(path);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, mode);
        ImageNative.Chown(path, 0, 0);
    }

    private void EnsureFile(string rel, string content)
    {
        var path = Full([.. rel.Split('/')]);
        if (Lstat(path) == Kind.File) return;
        Remove(path); // a symlink (to a systemd stub, say) or a directory: the runtime mounts a file here
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, RootfsFiles.Mode0644);
        ImageNative.Chown(path, 0, 0);
    }

    private List<string>? Resolve(List<string> components, bool create, string entry)
    {
        _hops = 0;
        return Walk([], components, create, entry);
    }

    /// <summary>
    /// Resolves <paramref name="components"/> from <paramref name="resolved"/> to a real directory below the root,
    /// following only relative symlinks that stay inside. Creates missing directories when <paramref name="create"/>,
    /// else returns null for a missing one.
    /// </summary>
    private List<string>? Walk(List<string> resolved, IEnumerable<string> components, bool create, string entry)
    {
        foreach (var c in components)
        {
            if (c is "" or ".") continue;
            if (c == "..")
            {
                if (resolved.Count == 0) throw Refuse(entry, "it leads outside the image through '..'");
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            resolved.Add(c);
            var path = Full(resolved);
            switch (Lstat(path))
            {
                case Kind.Directory:
                    continue;
                case Kind.Symlink:
                    var target = new FileInfo(path).LinkTarget!;
                    var link = "/" + Rel(resolved);
                    if (++_hops > MaxSymlinkHops) throw Refuse(entry, $"too many levels of symlinks at {link}");
                    if (target.StartsWith('/'))
                    {
                        throw Refuse(entry, $"it would be written through the symlink {link} -> {target}, which points outside the image");
                    }
                    resolved.RemoveAt(resolved.Count - 1);
                    try
                    {
                        if (Walk(resolved, target.Split('/'), create, entry) is null) return null;
                    }
                    catch (ImageImportException) when (_hops <= MaxSymlinkHops)
                    {
                        throw Refuse(entry, $"it would be written through the symlink {link} -> {target}, which points outside the image");
                    }
                    continue;
                case Kind.Missing when !create:
                    return null;
                case Kind.File when !create:
                    return null;
                default:
                    Remove(path); // a file where a directory must be: the newer layer wins
                    Directory.CreateDirectory(path);
                    File.SetUnixFileMode(path, RootfsFiles.Mode0755);
                    continue;
            }
        }
        return resolved;
    }

    /// <summary>Normalises an archive path to components; refuses absolute paths and '..' that climbs above the root.</summary>
    private static List<string> Split(string archivePath, string entry)
    {
        if (archivePath.StartsWith('/')) throw Refuse(entry, $"'{archivePath}' is an absolute path");
        if (archivePath.Contains('\0')) throw Refuse(entry, "its name contains a NUL byte");
        var parts = new List<string>();
        foreach (var p in archivePath.Split('/'))
        {
            if (p is "" or ".") continue;
            if (p != "..")
            {
                parts.Add(p);
                continue;
            }
            if (parts.Count == 0) throw Refuse(entry, $"'{archivePath}' leads outside the image through '..'");
            parts.RemoveAt(parts.Count - 1);
        }
        return parts;
    }

    private static void SetOwnerAndMode(string path, TarEntry entry)
    {
        ImageNative.Chown(path, entry.Uid, entry.Gid);
        File.SetUnixFileMode(path, entry.Mode & ~SetIdBits);
    }

    /// <summary>Removes whatever is at <paramref name="path"/> without following a symlink there.</summary>
    private static void Remove(string path)
    {
        switch (Lstat(path))
        {
            case Kind.Directory:
                Directory.Delete(path, recursive: true); // unlinks symlinks inside, never follows them
                break;
            case Kind.Missing:
                break;
            default:
                File.Delete(path);
                break;
        }
    }

    private enum Kind { Missing, Directory, Symlink, File }

    private static Kind Lstat(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return Kind.Symlink;
        if (Directory.Exists(path)) return Kind.Directory; // not a symlink, so this is the directory itself
        return info.Exists ? Kind.File : Kind.Missing;
    }

    private string Full(List<string> rel) => rel.Count == 0 ? _root : _root + "/" + string.Join('/', rel);

    private static string Rel(List<string> rel) => string.Join('/', rel);

    private static ImageImportException Refuse(string entry, string why) => new($"refusing entry '{entry}': {why}.");
}
