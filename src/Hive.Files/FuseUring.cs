using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files;

/// <summary>
/// FUSE over io_uring (Documentation/filesystems/fuse-io-uring.rst): the kernel hands requests to ring entries instead
/// of read(2) on /dev/fuse, and one io_uring_enter both commits a reply and waits for the next request, where
/// /dev/fuse needs a write and a read, each a switch into and out of the kernel.
/// </summary>
/// <remarks>
/// The kernel keeps one queue per possible CPU and queues a request on the queue of the CPU its caller runs on; it
/// turns the rings on only once every queue has an entry. Each entry here is a thread with its own small io_uring, its
/// header and payload buffers registered once (FUSE_IO_URING_CMD_REGISTER) and reused for every request
/// (FUSE_IO_URING_CMD_COMMIT_AND_FETCH): <see cref="FuseOptions.IoUringQueueDepth"/> threads per queue, so one slow
/// request does not hold up the others of its CPU. FORGET, INTERRUPT and our cache invalidations still travel through
/// /dev/fuse, so the session keeps one /dev/fuse worker beside the rings.
/// </remarks>
internal sealed partial class FuseUring
{
    /// <summary>INIT flag FUSE_OVER_IO_URING (protocol 7.42).</summary>
    public const ulong InitFlag = 1UL << 41;

    private readonly List<FuseUringWorker> _workers = [];

    private FuseUring() { }

    public IReadOnlyList<FuseUringWorker> Workers => _workers;

    /// <summary>True when this process can make an io_uring with 128-byte SQEs (checked before offering the flag at INIT).</summary>
    public static bool Available(out string reason)
    {
        var error = IoUring.Create(2, IoUring.SetupSqe128, out var ring);
        ring?.Dispose();
        reason = error == 0 ? "" : $"io_uring_setup failed: {Errno.Name(error)}";
        return error == 0;
    }

    /// <summary>
    /// The number of queues the kernel makes: one per possible CPU (<c>/sys/devices/system/cpu/possible</c>).
    /// </summary>
    public static int QueueCount()
    {
        try
        {
            var count = 0;
            foreach (var part in File.ReadAllText("/sys/devices/system/cpu/possible").Trim().Split(','))
            {
                var dash = part.IndexOf('-');
                count += dash < 0 ? 1 : int.Parse(part[(dash + 1)..]) - int.Parse(part[..dash]) + 1;
            }
            return Math.Max(1, count);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return Environment.ProcessorCount;
        }
    }

    /// <summary>
    /// Starts the entries and registers them. Returns the running set, or null when the rings could not be set up; the
    /// kernel then serves the connection through /dev/fuse (a failed REGISTER turns its rings off for good).
    /// </summary>
    public static FuseUring? Start(FuseSession session, IFuseFileSystem fs, int fd, int depth, Action<string>? log)
    {
        var uring = new FuseUring();
        var queues = QueueCount();
        for (var q = 0; q < queues; q++)
            for (var i = 0; i < Math.Max(1, depth); i++)
                uring._workers.Add(new FuseUringWorker(session, fs, fd, (ushort)q, log));
        foreach (var (w, i) in uring._workers.Select((w, i) => (w, i))) w.Start($"hive-fuse-ring-{w.Queue}.{i}");
        var failed = uring._workers.Select(w => w.WaitSetUp()).FirstOrDefault(e => e != 0);
        if (failed != 0)
        {
            foreach (var w in uring._workers) w.Go(false);
            // Every queue needs an entry before the kernel serves anything through the rings, and until then it holds
            // requests back: a REGISTER it refuses is how to tell it to use /dev/fuse instead.
            FuseUringWorker.RefuseRegistration(fd);
            log?.Invoke($"fuse: io_uring not used ({Errno.Name(failed)}); serving through {FuseMount.Device}");
            return null;
        }
        foreach (var w in uring._workers) w.Go(true);
        failed = uring._workers.Select(w => w.WaitRegistered()).FirstOrDefault(e => e != 0);
        if (failed != 0)
        {
            log?.Invoke($"fuse: FUSE_IO_URING_CMD_REGISTER failed ({Errno.Name(failed)}); serving through {FuseMount.Device}");
            return uring;
        }
        log?.Invoke($"fuse: serving over io_uring, {queues} queue(s) of {Math.Max(1, depth)}");
        uring.Active = true;
        return uring;
    }

    /// <summary>True when every entry registered: the kernel sends requests through the rings.</summary>
    public bool Active { get; private set; }

    /// <summary>
    /// After taking over a kept session: requests the kernel queued while no entry was registered are handed out only
    /// when an entry of their queue commits a reply. One forced GETATTR from each CPU (so on each queue) sets that going.
    /// </summary>
    public static unsafe void Kick(string mountPoint, Action<string>? log)
    {
        var path = System.Text.Encoding.UTF8.GetBytes(mountPoint + "\0");
        var threads = new List<Thread>();
        for (var cpu = 0; cpu < Environment.ProcessorCount; cpu++)
        {
            var mine = cpu;
            var thread = new Thread(() =>
            {
                ulong mask = 1UL << mine;
                if (mine < 64 && SchedSetaffinity(0, sizeof(ulong), &mask) != 0) return;
                Libc.Statx stat;
                fixed (byte* p = path)
                    if (Libc.StatxCall(Libc.AT_FDCWD, p, AtStatxForceSync, 0x7FF, &stat) != 0)
                        log?.Invoke($"fuse: kick of queue {mine} failed: {Errno.Name(Libc.Errno)}");
            }) { IsBackground = true, Name = "hive-fuse-kick" };
            thread.Start();
            threads.Add(thread);
        }
        foreach (var thread in threads) thread.Join(TimeSpan.FromSeconds(5));
    }

    private const int AtStatxForceSync = 0x2000;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    internal static unsafe partial int SchedSetaffinity(int pid, nuint size, ulong* mask);
}

/// <summary>One ring entry: a thread, its io_uring, and its registered header and payload buffers.</summary>
internal sealed unsafe class FuseUringWorker
{
    private const int HeaderSize = 288;      // struct fuse_uring_req_header
    private const int OpInOffset = 128;
    private const int OpInSize = 128;
    private const int PayloadSizeOffset = 256 + 16; // ring_ent_in_out.payload_sz
    private const uint CmdRegister = 1, CmdCommitAndFetch = 2;
    // Room before the payload: the per-op header is copied there (WRITE) and the reply's out header written there.
    private const int Lead = 4096;
    private const int ScratchSize = 128 * 1024 + OpInSize;

    private readonly FuseSession _session;
    private readonly IFuseFileSystem _fs;
    private readonly int _fd;
    private readonly int _payloadSize;
    private readonly Action<string>? _log;
    private readonly ManualResetEventSlim _setUp = new(), _go = new(), _registered = new();
    private volatile int _setUpError, _registerError;
    private volatile bool _proceed;
    private byte* _headers, _block, _scratch;
    private Libc.IoVec* _iov;
    private Thread? _thread;

    public FuseUringWorker(FuseSession session, IFuseFileSystem fs, int fd, ushort queue, Action<string>? log)
    {
        _session = session;
        _fs = fs;
        _fd = fd;
        Queue = queue;
        _log = log;
        _payloadSize = session.BufferSize;
        _headers = (byte*)NativeMemory.AlignedAlloc(4096, 4096);
        _block = (byte*)NativeMemory.AlignedAlloc((nuint)(Lead + _payloadSize), 4096);
        _scratch = (byte*)NativeMemory.AlignedAlloc(ScratchSize, 4096);
        _iov = (Libc.IoVec*)NativeMemory.Alloc((nuint)(2 * sizeof(Libc.IoVec)));
        _iov[0] = new Libc.IoVec { Base = _headers, Length = HeaderSize };
        _iov[1] = new Libc.IoVec { Base = _block + Lead, Length = (nuint)_payloadSize };
    }

    public ushort Queue { get; }

    public void Start(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    public int WaitSetUp()
    {
        return _setUp.Wait(TimeSpan.FromSeconds(10)) ? _setUpError : Errno.ETIMEDOUT;
    }

    public void Go(bool proceed)
    {
        _proceed = proceed;
        _go.Set();
    }

    public int WaitRegistered() => _registered.Wait(TimeSpan.FromSeconds(10)) ? _registerError : Errno.ETIMEDOUT;

    /// <summary>Sends a REGISTER the kernel must refuse (no buffers): it then turns the connection's rings off.</summary>
    public static void RefuseRegistration(int fd)
    {
        if (IoUring.Create(2, IoUring.SetupSqe128, out var ring) != 0 || ring is null) return;
        using (ring)
        {
            var sqe = ring.NextSqe();
            sqe[0] = IoUring.OpUringCmd;
            *(int*)(sqe + 4) = fd;
            *(uint*)(sqe + 8) = CmdRegister;
            ring.Enter(1);
            ring.TryTake(out _);
        }
    }

    private void Run()
    {
        IoUring? ring = null;
        try
        {
            // On its queue's CPU, as the callers whose requests it serves are: the kernel wakes it where the caller
            // just went to sleep, not on another CPU (libfuse pins its queue threads the same way).
            if (Queue < 64)
            {
                var mask = 1UL << Queue;
                FuseUring.SchedSetaffinity(0, sizeof(ulong), &mask);
            }
            // One thread submits and reaps (SINGLE_ISSUER); completions run only when it waits for them (DEFER_TASKRUN),
            // never interrupting the system calls it makes for a request. Older kernels: plain 128-byte SQEs.
            var error = IoUring.Create(4, IoUring.SetupSqe128 | IoUring.SetupSingleIssuer | IoUring.SetupDeferTaskrun, out ring);
            if (error == Errno.EINVAL) error = IoUring.Create(4, IoUring.SetupSqe128, out ring);
            _setUpError = error;
            _setUp.Set();
            if (error != 0) return;
            _go.Wait();
            if (!_proceed) return;

            Command(ring!, CmdRegister, 0);
            var n = ring!.Enter(0);
            IoUring.Cqe first = default;
            var pending = false;
            if (n < 0) _registerError = -n;
            else if (ring.TryTake(out first))
            {
                if (first.Res < 0) _registerError = -first.Res;
                else pending = true;
            }
            _registered.Set();
            if (_registerError != 0) return;
            Serve(ring, pending, first);
        }
        catch (Exception e)
        {
            _log?.Invoke($"fuse: ring entry of queue {Queue} failed: {e}");
        }
        finally
        {
            _setUp.Set();
            _registered.Set();
            ring?.Dispose();
        }
    }

    private void Serve(IoUring ring, bool pending, IoUring.Cqe cqe)
    {
        var payload = _block + Lead;
        var output = new Span<byte>(payload - 16, _payloadSize + 16);
        while (true)
        {
            if (!pending)
            {
                var n = ring.Enter(1);
                if (n < 0 && n != -Errno.EINTR && n != -Errno.EAGAIN && n != -Errno.EBUSY)
                {
                    _log?.Invoke($"fuse: io_uring_enter failed: {Errno.Name(-n)}; ring entry of queue {Queue} ends");
                    return;
                }
                if (!ring.TryTake(out cqe)) continue;
            }
            pending = false;
            if (cqe.Res < 0)
            {
                // ENOTCONN/ECONNABORTED: the connection ended (unmount, abort); ECANCELED: the ring is going away.
                if (cqe.Res is not (-Errno.ENOTCONN or -ECONNABORTED or -Errno.ECANCELED or -Errno.ENODEV))
                    _log?.Invoke($"fuse: ring entry of queue {Queue} ends: {Errno.Name(-cqe.Res)}");
                return;
            }
            var header = Unsafe.ReadUnaligned<FuseInHeader>(_headers);
            var payloadIn = (int)Math.Min(*(uint*)(_headers + PayloadSizeOffset), (uint)_payloadSize);
            var opIn = (int)Math.Clamp((long)header.Len - sizeof(FuseInHeader) - payloadIn, 0, OpInSize);
            var total = opIn + payloadIn;
            byte* body;
            if (header.Opcode == (uint)FuseOpcode.Write || total > ScratchSize)
            {
                // The data stays where the kernel put it; its header goes just before it. The reply (a count) is written
                // only once the data has been used.
                body = payload - opIn;
                Buffer.MemoryCopy(_headers + OpInOffset, body, opIn, opIn);
            }
            else
            {
                // Names and small arguments are copied out: the reply is written over the payload buffer while a
                // handler may still read its arguments (GETXATTR reads the name while writing the value).
                body = _scratch;
                Buffer.MemoryCopy(_headers + OpInOffset, body, ScratchSize, opIn);
                Buffer.MemoryCopy(payload, body + opIn, ScratchSize - opIn, payloadIn);
            }
            var length = Math.Max(0, total - header.TotalExtlen * 8);
            int reply;
            try
            {
                reply = FuseDispatcher.Dispatch(_fs, header, new ReadOnlySpan<byte>(body, length), output, _session.Negotiated);
            }
            catch (Exception e)
            {
                _log?.Invoke($"fuse: opcode {header.Opcode} on node {header.NodeId} failed: {e}");
                reply = FuseDispatcher.Finish(output, header.Unique, Errno.EIO, 0);
            }
            // Requests without a reply (FORGET, INTERRUPT) come through /dev/fuse; should one come here, the entry must
            // still be committed to fetch again.
            if (reply == 0) reply = FuseDispatcher.Finish(output, header.Unique, Errno.ENOSYS, 0);
            Buffer.MemoryCopy(payload - 16, _headers, 16, 16);
            *(uint*)(_headers + PayloadSizeOffset) = (uint)(reply - 16);
            Command(ring, CmdCommitAndFetch, header.Unique);
        }
    }

    private const int ECONNABORTED = 103;

    private void Command(IoUring ring, uint command, ulong commitId)
    {
        var sqe = ring.NextSqe();
        sqe[0] = IoUring.OpUringCmd;
        *(int*)(sqe + 4) = _fd;
        *(uint*)(sqe + 8) = command;          // cmd_op
        *(ulong*)(sqe + 16) = (ulong)_iov;    // addr: iovec[2], header and payload
        *(uint*)(sqe + 24) = 2;               // len
        *(ulong*)(sqe + 32) = command;        // user_data
        var cmd = sqe + IoUring.SqeCmdOffset; // struct fuse_uring_cmd_req
        *(ulong*)(cmd + 0) = 0;               // flags
        *(ulong*)(cmd + 8) = commitId;
        *(ushort*)(cmd + 16) = Queue;
    }

    /// <summary>Frees the buffers once the thread has ended (a thread still running keeps them: leaked, not freed under it).</summary>
    public void Dispose()
    {
        if (_thread is not null && _thread.IsAlive) return;
        NativeMemory.AlignedFree(_headers);
        NativeMemory.AlignedFree(_block);
        NativeMemory.AlignedFree(_scratch);
        NativeMemory.Free(_iov);
        _headers = _block = _scratch = null;
        _iov = null;
    }
}
