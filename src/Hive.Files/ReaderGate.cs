using System.Runtime.InteropServices;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files;

/// <summary>
/// Decides which worker reads /dev/fuse next. A request that finishes in microseconds (a lookup, attributes, a
/// create, an unlink) is served by the thread that read it, and that thread then reads the next one: one thread in
/// read(2) at a time, so the kernel keeps waking the same warm thread instead of handing requests round the pool
/// from CPU to CPU (the kernel wakes waiting readers in FIFO order), which costs about a fifth of small-file
/// metadata speed on two vCPUs. Before a request that may block (data I/O, fsync, a listing, a directory rename, a
/// truncation) and before writing a cache invalidation to the kernel, a parked worker is sent to read instead, so a
/// slow request never holds the others up and an invalidation can never wait on a request nobody is reading.
/// </summary>
internal sealed class ReaderGate : IDisposable
{
    private readonly SemaphoreSlim _parked = new(0);
    private readonly int _workers;
    // Workers reading, or woken to read (a slot is reserved for a worker before it is released from the park).
    private int _readers = 1;
    private volatile bool _ended;

    public ReaderGate(int workers) => _workers = workers;

    public bool Ended => _ended;

    /// <summary>After reading a request: this worker no longer counts as a reader.</summary>
    public void LeftRead() => Interlocked.Decrement(ref _readers);

    /// <summary>Makes sure some worker is reading (wakes a parked one if none is).</summary>
    public void Handoff()
    {
        if (Interlocked.CompareExchange(ref _readers, 1, 0) == 0) _parked.Release();
    }

    /// <summary>After serving a request: true when this worker should read next, false when it should <see cref="Park"/>.</summary>
    public bool TryRead() => Interlocked.CompareExchange(ref _readers, 1, 0) == 0;

    /// <summary>Waits until sent to read; false when the connection has ended.</summary>
    public bool Park()
    {
        _parked.Wait();
        return !_ended;
    }

    /// <summary>The connection is gone: every parked worker ends.</summary>
    public void End()
    {
        _ended = true;
        _parked.Release(_workers);
    }

    /// <summary>Whether serving this request may take long enough that another worker should read meanwhile.</summary>
    public static bool MayBlock(in FuseInHeader header, ReadOnlySpan<byte> body)
    {
        switch ((FuseOpcode)header.Opcode)
        {
            case FuseOpcode.Read or FuseOpcode.Write or FuseOpcode.Fsync or FuseOpcode.Fsyncdir or FuseOpcode.Flush
                or FuseOpcode.Fallocate or FuseOpcode.CopyFileRange or FuseOpcode.Readdir or FuseOpcode.Readdirplus
                or FuseOpcode.Rename or FuseOpcode.Rename2 or FuseOpcode.Lseek or FuseOpcode.Destroy:
                return true;
            case FuseOpcode.Open:
                // O_TRUNC truncates in the backend's open.
                return body.Length < 8 || (MemoryMarshal.Read<uint>(body) & (uint)Libc.O_TRUNC) != 0;
            case FuseOpcode.Setattr:
                return body.Length < 8 || (MemoryMarshal.Read<uint>(body) & FuseConstants.FattrSize) != 0;
            default:
                return false;
        }
    }

    public void Dispose() => _parked.Dispose();
}
