using Hive.Files.Backends;

namespace Hive.Files.Tests;

/// <summary>The real <see cref="LocalBackend"/>, except that fsync waits until the test lets it go: a slow request on demand.</summary>
public sealed class StallingBackend(string root) : IFsBackend
{
    private readonly LocalBackend _inner = new(root);

    public ManualResetEventSlim Release { get; } = new(false);
    public int FsyncsWaiting;

    public int Fsync(long handle, bool dataOnly)
    {
        Interlocked.Increment(ref FsyncsWaiting);
        Release.Wait(TimeSpan.FromSeconds(60));
        Interlocked.Decrement(ref FsyncsWaiting);
        return _inner.Fsync(handle, dataOnly);
    }

    public string Description => _inner.Description;
    public bool NeedsFlush => _inner.NeedsFlush;
    public bool MtimeTracksListing => _inner.MtimeTracksListing;
    /// <summary>Stat waits for <see cref="Release"/> too: storage that stops answering.</summary>
    public bool StallStat { get; init; }

    /// <summary>How many times <see cref="Stat"/> was asked (lookups of names the kernel has not cached).</summary>
    public int Stats;

    public int Stat(ReadOnlySpan<byte> path, out FileStat stat)
    {
        Interlocked.Increment(ref Stats);
        if (StallStat) Release.Wait(TimeSpan.FromSeconds(60));
        return _inner.Stat(path, out stat);
    }
    public int StatAt(long directory, ReadOnlySpan<byte> name, out FileStat stat) => _inner.StatAt(directory, name, out stat);
    public int StatHandle(long handle, out FileStat stat) => _inner.StatHandle(handle, out stat);
    public int ReadLink(ReadOnlySpan<byte> path, Span<byte> target, out int length) => _inner.ReadLink(path, target, out length);
    public int Open(ReadOnlySpan<byte> path, int flags, out long handle) => _inner.Open(path, flags, out handle);
    public int Create(ReadOnlySpan<byte> path, int flags, uint mode, uint uid, uint gid, out long handle, out FileStat stat) =>
        _inner.Create(path, flags, mode, uid, gid, out handle, out stat);
    public int Mknod(ReadOnlySpan<byte> path, uint mode, uint uid, uint gid, out FileStat stat) => _inner.Mknod(path, mode, uid, gid, out stat);
    public int Mkdir(ReadOnlySpan<byte> path, uint mode, uint uid, uint gid, out FileStat stat) => _inner.Mkdir(path, mode, uid, gid, out stat);
    public int Symlink(ReadOnlySpan<byte> target, ReadOnlySpan<byte> path, uint uid, uint gid, out FileStat stat) => _inner.Symlink(target, path, uid, gid, out stat);
    public int Link(ReadOnlySpan<byte> existing, ReadOnlySpan<byte> path, out FileStat stat) => _inner.Link(existing, path, out stat);
    public int Unlink(ReadOnlySpan<byte> path) => _inner.Unlink(path);
    public int Rmdir(ReadOnlySpan<byte> path) => _inner.Rmdir(path);
    public int Rename(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, uint flags) => _inner.Rename(from, to, flags);
    public int SetAttributes(ReadOnlySpan<byte> path, long handle, in SetAttributes request, out FileStat stat) => _inner.SetAttributes(path, handle, request, out stat);
    public int Read(long handle, Span<byte> buffer, long offset, out int count) => _inner.Read(handle, buffer, offset, out count);
    public int Write(long handle, ReadOnlySpan<byte> data, long offset, out int count) => _inner.Write(handle, data, offset, out count);
    public int Flush(long handle) => _inner.Flush(handle);
    public int Close(long handle) => _inner.Close(handle);
    public int Fallocate(long handle, int mode, long offset, long length) => _inner.Fallocate(handle, mode, offset, length);
    public int Seek(long handle, long offset, int whence, out long result) => _inner.Seek(handle, offset, whence, out result);
    public int CopyRange(long input, long inputOffset, long output, long outputOffset, long length, out long copied) =>
        _inner.CopyRange(input, inputOffset, output, outputOffset, length, out copied);
    public int PassthroughFd(long handle) => _inner.PassthroughFd(handle);
    public int OpenDirectory(ReadOnlySpan<byte> path, out long handle) => _inner.OpenDirectory(path, out handle);
    /// <summary>How many times a listing was read (directories the kernel has not cached).</summary>
    public int Listings;

    public int ReadDirectory<TVisitor>(long handle, long offset, ref TVisitor visitor) where TVisitor : IDirectoryVisitor, allows ref struct
    {
        Interlocked.Increment(ref Listings);
        return _inner.ReadDirectory(handle, offset, ref visitor);
    }
    public int CloseDirectory(long handle) => _inner.CloseDirectory(handle);
    public int StatFs(out FsStats stats) => _inner.StatFs(out stats);
    public int GetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, Span<byte> value, out int size) => _inner.GetXattr(path, name, value, out size);
    public int SetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags) => _inner.SetXattr(path, name, value, flags);
    public int ListXattr(ReadOnlySpan<byte> path, Span<byte> list, out int size) => _inner.ListXattr(path, list, out size);
    public int RemoveXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name) => _inner.RemoveXattr(path, name);

    public void Dispose()
    {
        Release.Set();
        _inner.Dispose();
    }
}
