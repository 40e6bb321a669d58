using System.Formats.Tar;
using System.Text;

namespace Hive.Runtime.Images;

/// <summary>
/// The image archive itself: an index of its regular files (name → offset and length) made in one pass, so the
/// layers can then be read in the order the manifest gives, whatever order the archive stores them in.
/// </summary>
internal sealed class OuterArchive
{
    private const int MaxSymlinkHops = 8;
    private readonly string _path;
    private readonly Dictionary<string, (long Offset, long Length)> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    private OuterArchive(string path) => _path = path;

    public static OuterArchive Open(string path)
    {
        var archive = new OuterArchive(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ImageImportException($"cannot read {path}: {ex.Message}", ex);
        }
        using (file)
        {
            Span<byte> magic = stackalloc byte[2];
            if (file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
                throw new ImageImportException($"{path} is gzip-compressed; decompress it first (gunzip), then import the .tar.");
            file.Position = 0;
        }
        file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using (file)
        using (var reader = new TarReader(file, leaveOpen: true))
        {
            var count = 0;
            try
            {
                while (reader.GetNextEntry(copyData: false) is { } entry)
                {
                    if (++count > LayerApplier.MaxEntries) throw new ImageImportException($"{path} has more than {LayerApplier.MaxEntries:N0} entries.");
                    if (Encoding.UTF8.GetByteCount(entry.Name) > LayerApplier.MaxNameBytes) throw new ImageImportException($"{path} has an entry name over {LayerApplier.MaxNameBytes} bytes.");
                    var name = Normalize(entry.Name);
                    switch (entry.EntryType)
                    {
                        case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                            // With a seekable archive, TarReader has skipped the data and its padding to 512 bytes.
                            var offset = file.Position - (entry.Length + 511) / 512 * 512;
                            if (entry.Length < 0 || offset < 0 || file.Position > file.Length)
                                throw new ImageImportException($"{path} is truncated: '{entry.Name}' declares {entry.Length:N0} bytes past the end of the file.");
                            VerifyOffset(file, entry, offset);
                            archive._files[name] = (offset, entry.Length);
                            break;
                        case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                            // Old `docker save` archives link layers that two images share.
                            archive._links[name] = entry.EntryType == TarEntryType.HardLink
                                ? Normalize(entry.LinkName)
                                : Normalize(Path.Combine(Path.GetDirectoryName(name) ?? "", entry.LinkName));
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidDataException or EndOfStreamException or ArgumentException)
            {
                throw new ImageImportException($"{path} is not a valid tar archive: {ex.Message}", ex);
            }
        }
        return archive;
    }

    /// <summary>Checks the computed offset against the entry's own data stream, then puts the archive position back.</summary>
    private static void VerifyOffset(FileStream file, TarEntry entry, long offset)
    {
        if (entry.DataStream is not { } data || entry.Length == 0) return;
        var position = file.Position;
        var expected = new byte[(int)Math.Min(entry.Length, 512)];
        var actual = new byte[expected.Length];
        data.ReadExactly(expected);
        file.Position = position;
        if (RandomAccess.Read(file.SafeFileHandle, actual, offset) != actual.Length || !expected.AsSpan().SequenceEqual(actual))
            throw new ImageImportException($"cannot locate '{entry.Name}' in the archive; is it a plain tar file?");
    }

    public bool Contains(string name) => Find(name) is not null;

    public long LengthOf(string name) => Find(name)?.Length ?? 0;

    /// <summary>A read-only, seekable view of one file in the archive.</summary>
    public Stream OpenEntry(string name)
    {
        var (offset, length) = Find(name) ?? throw new ImageImportException($"'{name}' is missing from the archive.");
        var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        return new SliceStream(file, offset, length);
    }

    private (long Offset, long Length)? Find(string name)
    {
        name = Normalize(name);
        for (var hop = 0; hop <= MaxSymlinkHops; hop++)
        {
            if (_files.TryGetValue(name, out var file)) return file;
            if (!_links.TryGetValue(name, out var target)) return null;
            name = target;
        }
        return null;
    }

    /// <summary>"./a//b/../c" → "a/c"; only used as a dictionary key, never as a file system path.</summary>
    private static string Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var p in name.Split('/'))
        {
            if (p is "" or ".") continue;
            if (p == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(p);
        }
        return string.Join('/', parts);
    }

    /// <summary>Bytes [offset, offset + length) of a file.</summary>
    private sealed class SliceStream(FileStream file, long offset, long length) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            if (n <= 0) return 0;
            n = RandomAccess.Read(file.SafeFileHandle, buffer[..n], offset + _position);
            _position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            if (n <= 0) return 0;
            n = await RandomAccess.ReadAsync(file.SafeFileHandle, buffer[..n], offset + _position, ct).ConfigureAwait(false);
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => _position = Math.Clamp(value, 0, length);
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) file.Dispose();
            base.Dispose(disposing);
        }
    }
}
