using System.Text;
using Hive.Files.Backends;
using Hive.Files.Native;

namespace Hive.Files.Owner;

/// <summary>An entry of a directory listing; <see cref="Type"/> is one of <see cref="OwnerFiles.TypeName"/>'s names.</summary>
public sealed record OwnerEntry(string Name, string Type, long Size, DateTimeOffset Mtime);

/// <summary>A files-API failure: the HTTP status, title and detail the daemon answers with (problem+json).</summary>
public sealed class OwnerFilesException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
}

/// <summary>
/// The owner's file operations on one mount's storage (the files API), through the same backend as the sandbox's FUSE
/// mount: every path resolved beneath the storage with no symlink followed. Only regular files are opened, without
/// blocking (a FIFO, socket or device the agent made answers 409 naming its type), and every backend call runs under
/// <see cref="FilesDeadline"/>, so storage that stops answering costs the caller a 504, never a daemon thread for good.
/// Disposing releases the backend, unless a call overran its deadline and may still be using it.
/// </summary>
public sealed class OwnerFiles : IDisposable
{
    private const int O_RDONLY = 0, O_WRONLY = 1, O_TRUNC = 0x200, O_NONBLOCK = 0x800;
    private const uint NewFileMode = 0x8000 | 0x1A4; // S_IFREG | 0644
    private const uint NewDirectoryMode = 0x1ED;     // 0755

    private readonly IFsBackend _backend;
    private readonly FilesDeadline _deadline;
    private readonly string _sandboxPath;
    private readonly bool _owned;
    private int _disposed;

    private OwnerFiles(IFsBackend backend, FilesDeadline deadline, string sandboxPath, bool owned)
    {
        _backend = backend;
        _owned = owned;
        _deadline = deadline;
        _sandboxPath = sandboxPath;
    }

    /// <summary>Opens the storage directory <paramref name="storage"/> for a request about <paramref name="sandboxPath"/>.</summary>
    public static Task<OwnerFiles> OpenAsync(string storage, string sandboxPath, FilesDeadline deadline, CancellationToken ct) =>
        OpenAsync(() => new LocalBackend(storage), sandboxPath, deadline, ct);

    /// <summary>
    /// Opens a backend for a request about <paramref name="sandboxPath"/>: owned from then on, unless it is one a mount
    /// shares (<paramref name="owned"/> false: an object-store mount's, which keeps its cache and uploads).
    /// </summary>
    public static async Task<OwnerFiles> OpenAsync(Func<IFsBackend> open, string sandboxPath, FilesDeadline deadline, CancellationToken ct, bool owned = true)
    {
        var backend = await deadline.RunAsync(() =>
        {
            try
            {
                return open();
            }
            catch (IOException)
            {
                return null;
            }
        }, sandboxPath, "opening the mount's storage", ct);
        return backend is null
            ? throw new OwnerFilesException(404, "Not found", $"{sandboxPath}: the mount's storage does not exist yet")
            : new OwnerFiles(backend, deadline, sandboxPath, owned);
    }

    /// <summary>A regular file's bytes (the stream owns this object), or a directory's listing.</summary>
    public async Task<(Stream? File, IReadOnlyList<OwnerEntry>? Listing)> ReadAsync(IReadOnlyList<string> segments, CancellationToken ct)
    {
        var rel = Relative(segments);
        var stat = await StatAsync(rel, ct);
        if (stat.IsDirectory) return (null, await ListAsync(rel, ct));
        NotRegular(stat);
        var handle = await OpenExistingAsync(rel, O_RDONLY, stat, ct);
        return (new BackendReadStream(this, handle), null);
    }

    /// <summary>Writes <paramref name="content"/> to a regular file, creating it and its missing parents as <paramref name="uid"/>/<paramref name="gid"/>.</summary>
    public async Task WriteAsync(IReadOnlyList<string> segments, Stream content, int uid, int gid, CancellationToken ct)
    {
        if (segments.Count == 0) throw Problem(400, "cannot write to the mount's root directory");
        for (var i = 1; i < segments.Count; i++)
        {
            var parent = Relative(segments.Take(i).ToList());
            var made = await Call(() => _backend.Mkdir(parent, NewDirectoryMode, (uint)uid, (uint)gid, out _), "mkdir", ct);
            if (made is not (0 or Errno.EEXIST)) throw Failure(made, "creating a parent directory");
        }
        var rel = Relative(segments);
        var (error, existing) = await Call(() => (_backend.Stat(rel, out var s), s), "stat", ct);
        long handle;
        if (error == Errno.ENOENT)
        {
            (error, handle, var created) = await Call(() => (_backend.Create(rel, O_WRONLY | O_NONBLOCK, NewFileMode, (uint)uid, (uint)gid, out var h, out var s), h, s), "create", ct);
            if (error != 0) throw Failure(error, "create");
            if (!created.IsRegular)
            {
                // Raced by something that is not a file: Create opened what it found instead.
                Close(handle);
                NotRegular(created);
            }
        }
        else
        {
            if (error != 0) throw Failure(error, "stat");
            if (existing.IsDirectory) throw Problem(409, "the path is a directory", "Is a directory");
            NotRegular(existing);
            handle = await OpenExistingAsync(rel, O_WRONLY | O_TRUNC, existing, ct);
        }
        try
        {
            var buffer = new byte[256 * 1024];
            long offset = 0;
            int n;
            while ((n = await content.ReadAsync(buffer, ct)) > 0)
            {
                var chunk = buffer.AsMemory(0, n);
                while (!chunk.IsEmpty)
                {
                    var at = offset;
                    var (written, count) = await Call(() => (_backend.Write(handle, chunk.Span, at, out var c), c), "write", ct);
                    if (written != 0) throw Failure(written, "write");
                    offset += count;
                    chunk = chunk[count..];
                }
            }
            if (_backend.NeedsFlush)
            {
                // What close(2) does through FUSE: an object store uploads here, and the write fails if the upload does.
                var flushed = await Call(() => _backend.Flush(handle), "flush", ct);
                if (flushed != 0) throw Failure(flushed, "upload");
            }
        }
        finally
        {
            Close(handle);
        }
    }

    /// <summary>Removes a file (of any type: unlinking never opens it) or an empty directory.</summary>
    public async Task DeleteAsync(IReadOnlyList<string> segments, CancellationToken ct)
    {
        if (segments.Count == 0) throw Problem(400, "cannot delete the mount's root directory");
        var rel = Relative(segments);
        var stat = await StatAsync(rel, ct);
        var error = stat.IsDirectory
            ? await Call(() => _backend.Rmdir(rel), "rmdir", ct)
            : await Call(() => _backend.Unlink(rel), "unlink", ct);
        if (error is Errno.ENOTEMPTY or Errno.EEXIST) throw Problem(409, "the directory is not empty", "Directory not empty");
        if (error != 0) throw Failure(error, "delete");
    }

    private async Task<FileStat> StatAsync(byte[] rel, CancellationToken ct)
    {
        var (error, stat) = await Call(() => (_backend.Stat(rel, out var s), s), "stat", ct);
        return error == 0 ? stat : throw Failure(error, "stat");
    }

    /// <summary>Opens without blocking and checks, on the open descriptor, that it is still the regular file seen by stat.</summary>
    private async Task<long> OpenExistingAsync(byte[] rel, int flags, FileStat seen, CancellationToken ct)
    {
        var (error, handle) = await Call(() => (_backend.Open(rel, flags | O_NONBLOCK, out var h), h), "open", ct);
        if (error != 0) throw Failure(error, "open");
        var (statError, opened) = await Call(() => (_backend.StatHandle(handle, out var s), s), "fstat", ct);
        if (statError == 0 && opened.IsRegular && opened.Ino == seen.Ino) return handle;
        Close(handle);
        if (statError != 0) throw Failure(statError, "fstat");
        NotRegular(opened);
        throw Problem(409, "the file was replaced while it was being opened; try again", "Conflict");
    }

    private async Task<IReadOnlyList<OwnerEntry>> ListAsync(byte[] rel, CancellationToken ct)
    {
        var (error, handle) = await Call(() => (_backend.OpenDirectory(rel, out var h), h), "opendir", ct);
        if (error != 0) throw Failure(error, "opendir");
        try
        {
            return await Call(() =>
            {
                var names = new NameList();
                var e = _backend.ReadDirectory(handle, 0, ref names);
                if (e != 0) throw Failure(e, "readdir");
                var list = new List<OwnerEntry>(names.Items.Count);
                foreach (var name in names.Items)
                {
                    if (_backend.StatAt(handle, name, out var s) != 0) continue; // removed meanwhile
                    var mtime = DateTimeOffset.FromUnixTimeSeconds(s.Mtime).AddTicks(s.MtimeNsec / 100);
                    list.Add(new OwnerEntry(Encoding.UTF8.GetString(name), TypeName(s.Mode), s.IsRegular ? (long)s.Size : 0, mtime));
                }
                list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                return (IReadOnlyList<OwnerEntry>)list;
            }, "readdir", ct);
        }
        finally
        {
            _backend.CloseDirectory(handle);
        }
    }

    private struct NameList() : IDirectoryVisitor
    {
        public List<byte[]> Items { get; } = [];

        public bool Entry(ReadOnlySpan<byte> name, ulong ino, uint type, long nextOffset)
        {
            if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8)) Items.Add(name.ToArray());
            return true;
        }
    }

    /// <summary>The listing's name for a file type (S_IFMT bits of <paramref name="mode"/>).</summary>
    public static string TypeName(uint mode) => (mode & 0xF000) switch
    {
        0x8000 => "file",
        0x4000 => "dir",
        0xA000 => "symlink",
        0x1000 => "fifo",
        0xC000 => "socket",
        0x2000 => "char-device",
        0x6000 => "block-device",
        _ => "unknown",
    };

    private void NotRegular(in FileStat stat)
    {
        if (stat.IsRegular) return;
        var what = (stat.Mode & 0xF000) switch
        {
            0x1000 => "a FIFO (named pipe)",
            0xC000 => "a UNIX socket",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xA000 => "a symlink, which the files API does not follow",
            0x4000 => "a directory",
            _ => "not a regular file",
        };
        throw new OwnerFilesException(409, "Not a regular file", $"{_sandboxPath} is {what}; the files API reads and writes regular files only");
    }

    private OwnerFilesException Problem(int status, string detail, string title) => new(status, title, $"{_sandboxPath}: {detail}");

    private OwnerFilesException Problem(int status, string detail) => Problem(status, detail, status == 400 ? "Bad request" : "File operation failed");

    private OwnerFilesException Failure(int errno, string op) => errno switch
    {
        Errno.ENOENT => Problem(404, "no such file or directory", "Not found"),
        Errno.ENOTDIR or Errno.ELOOP or Errno.EXDEV =>
            Problem(400, "a component of the path is a symlink or not a directory; the files API does not follow symlinks"),
        Errno.EISDIR => Problem(409, "the path is a directory", "Is a directory"),
        Errno.ENAMETOOLONG => Problem(400, "a name in the path is too long (at most 255 bytes each)"),
        Errno.EACCES or Errno.EPERM => Problem(403, $"{op}: permission denied ({Errno.Name(errno)})", "Forbidden"),
        Errno.ENXIO => Problem(409, $"{op}: nothing is behind this special file ({Errno.Name(errno)})", "Not a regular file"),
        Errno.ENOSPC => Problem(507, $"{op}: no space left on the storage", "Insufficient storage"),
        _ => Problem(500, $"{op} failed: {Errno.Name(errno)}"),
    };

    private static byte[] Relative(IReadOnlyList<string> segments) => Encoding.UTF8.GetBytes(string.Join('/', segments));

    private Task<T> Call<T>(Func<T> call, string op, CancellationToken ct) => _deadline.RunAsync(call, _sandboxPath, op, ct, Abandon);

    private void Close(long handle)
    {
        if (Volatile.Read(ref _abandoned) == 0) _backend.Close(handle);
    }

    private int _abandoned;

    /// <summary>A call overran its deadline and may still run: its descriptors must stay open for it.</summary>
    private void Abandon() => Interlocked.Exchange(ref _abandoned, 1);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || Volatile.Read(ref _abandoned) != 0 || !_owned) return;
        _backend.Dispose();
    }

    /// <summary>Reads a backend file handle from the start; disposing closes it and the <see cref="OwnerFiles"/>.</summary>
    private sealed class BackendReadStream(OwnerFiles owner, long handle) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var at = _position;
            var (error, count) = await owner.Call(() => (owner._backend.Read(handle, buffer.Span, at, out var c), c), "read", ct);
            if (error != 0) throw owner.Failure(error, "read");
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                owner.Close(handle);
                owner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
