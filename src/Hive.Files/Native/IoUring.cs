using System.Runtime.InteropServices;

namespace Hive.Files.Native;

/// <summary>
/// One io_uring instance by raw system calls (io_uring_setup, mmap of the rings, io_uring_enter): just what FUSE over
/// io_uring needs, 128-byte SQEs for IORING_OP_URING_CMD and a thread that submits and reaps on its own ring.
/// Not thread-safe: one thread owns it.
/// </summary>
internal sealed unsafe partial class IoUring : IDisposable
{
    private const long SysIoUringSetup = 425; // the same number on x86-64 and arm64
    private const long SysIoUringEnter = 426;

    public const uint SetupCoopTaskrun = 1 << 8;
    public const uint SetupSqe128 = 1 << 10;
    public const uint SetupSingleIssuer = 1 << 12;
    public const uint SetupDeferTaskrun = 1 << 13;
    private const uint FeatSingleMmap = 1 << 0;
    private const uint EnterGetEvents = 1 << 0;
    private const long OffSqRing = 0;
    private const long OffCqRing = 0x8000000;
    private const long OffSqes = 0x10000000;

    public const byte OpUringCmd = 46;
    public const int SqeSize = 128;
    /// <summary>Where the command area of a 128-byte SQE starts (<c>sqe->cmd</c>), 80 bytes long.</summary>
    public const int SqeCmdOffset = 48;

    private readonly int _fd;
    private readonly byte* _sqRing, _cqRing, _sqes;
    private readonly nuint _sqRingSize, _cqRingSize, _sqesSize;
    private readonly uint* _sqHead, _sqTail, _sqMask, _sqArray, _cqHead, _cqTail, _cqMask;
    private readonly Cqe* _cqes;
    private uint _sqLocalTail;
    private int _disposed;

    [StructLayout(LayoutKind.Sequential)]
    private struct Params
    {
        public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd, Resv0, Resv1, Resv2;
        public uint SqHead, SqTail, SqRingMask, SqRingEntries, SqFlags, SqDropped, SqArray, SqResv1;
        public ulong SqUserAddr;
        public uint CqHead, CqTail, CqRingMask, CqRingEntries, CqOverflow, CqCqes, CqFlags, CqResv1;
        public ulong CqUserAddr;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Cqe
    {
        public ulong UserData;
        public int Res;
        public uint Flags;
    }

    private IoUring(int fd, in Params p)
    {
        _fd = fd;
        _sqRingSize = p.SqArray + p.SqEntries * sizeof(uint);
        _cqRingSize = p.CqCqes + p.CqEntries * (uint)sizeof(Cqe);
        var single = (p.Features & FeatSingleMmap) != 0;
        if (single) _sqRingSize = _cqRingSize = Math.Max(_sqRingSize, _cqRingSize);
        _sqRing = Map(fd, _sqRingSize, OffSqRing);
        _cqRing = single ? _sqRing : Map(fd, _cqRingSize, OffCqRing);
        _sqesSize = p.SqEntries * (uint)SqeSize;
        _sqes = Map(fd, _sqesSize, OffSqes);
        _sqHead = (uint*)(_sqRing + p.SqHead);
        _sqTail = (uint*)(_sqRing + p.SqTail);
        _sqMask = (uint*)(_sqRing + p.SqRingMask);
        _sqArray = (uint*)(_sqRing + p.SqArray);
        _cqHead = (uint*)(_cqRing + p.CqHead);
        _cqTail = (uint*)(_cqRing + p.CqTail);
        _cqMask = (uint*)(_cqRing + p.CqRingMask);
        _cqes = (Cqe*)(_cqRing + p.CqCqes);
        _sqLocalTail = Volatile.Read(ref *_sqTail);
    }

    /// <summary>Sets up a ring of <paramref name="entries"/> SQEs with <paramref name="flags"/>: 0 and the ring, or an errno.</summary>
    public static int Create(uint entries, uint flags, out IoUring? ring)
    {
        ring = null;
        var p = new Params { Flags = flags };
        var fd = (int)Syscall(SysIoUringSetup, entries, (long)&p, 0, 0, 0, 0);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        try
        {
            ring = new IoUring(fd, p);
            return 0;
        }
        catch (IOException)
        {
            Libc.Close(fd);
            return Errno.ENOMEM;
        }
    }

    private static byte* Map(int fd, nuint size, long offset)
    {
        const int ProtReadWrite = 0x1 | 0x2, MapSharedPopulate = 0x01 | 0x8000;
        var p = Mmap(null, size, ProtReadWrite, MapSharedPopulate, fd, offset);
        if (p == (void*)-1) throw new IOException($"mmap of an io_uring ring failed: {Errno.Name(Marshal.GetLastPInvokeError())}");
        return (byte*)p;
    }

    /// <summary>The next free SQE, zeroed, queued for the next <see cref="Enter"/>; null when the ring is full.</summary>
    public byte* NextSqe()
    {
        var head = Volatile.Read(ref *_sqHead);
        var mask = *_sqMask;
        if (_sqLocalTail - head > mask) return null;
        var index = _sqLocalTail & mask;
        var sqe = _sqes + index * SqeSize;
        new Span<byte>(sqe, SqeSize).Clear();
        _sqArray[index] = index;
        _sqLocalTail++;
        return sqe;
    }

    /// <summary>
    /// Submits the queued SQEs and, when <paramref name="waitFor"/> &gt; 0, waits until that many completions are there.
    /// The number submitted, or -errno.
    /// </summary>
    public int Enter(uint waitFor)
    {
        Volatile.Write(ref *_sqTail, _sqLocalTail);
        var toSubmit = _sqLocalTail - Volatile.Read(ref *_sqHead);
        var n = Syscall(SysIoUringEnter, _fd, toSubmit, waitFor, waitFor > 0 ? EnterGetEvents : 0, 0, 0);
        return n < 0 ? -Marshal.GetLastPInvokeError() : (int)n;
    }

    /// <summary>Takes the oldest completion, if there is one.</summary>
    public bool TryTake(out Cqe cqe)
    {
        var head = *_cqHead;
        if (head == Volatile.Read(ref *_cqTail))
        {
            cqe = default;
            return false;
        }
        cqe = _cqes[head & *_cqMask];
        Volatile.Write(ref *_cqHead, head + 1);
        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Munmap(_sqes, _sqesSize);
        if (_cqRing != _sqRing) Munmap(_cqRing, _cqRingSize);
        Munmap(_sqRing, _sqRingSize);
        Libc.Close(_fd);
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* address, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(void* address, nuint length);
}
