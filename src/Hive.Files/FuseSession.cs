using System.Runtime.InteropServices;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files;

/// <summary>
/// One FUSE connection: opens /dev/fuse, mounts it, answers INIT, then serves requests with a small pool of threads,
/// each reading its own cloned descriptor (FUSE_DEV_IOC_CLONE) so that replies go back where requests came from.
/// Also the kernel side of the file system: passthrough backing ids and cache invalidation.
/// </summary>
internal sealed unsafe class FuseSession : IFuseKernel, IDisposable
{
    private readonly IFuseFileSystem _fs;
    private readonly FuseOptions _options;
    private readonly List<FuseRequestLoop> _loops = [];
    private FuseUring? _uring;
    private int _fd = -1;
    private ulong _device;
    private int _disposed;

    public FuseSession(IFuseFileSystem fs, FuseOptions options)
    {
        _fs = fs;
        _options = options;
    }

    public string? MountPoint { get; private set; }
    public FuseNegotiated Negotiated { get; private set; }
    internal ReaderGate Gate { get; private set; } = new(1);
    public bool PassthroughEnabled { get; private set; }

    /// <summary>True when requests come through io_uring rings rather than read(2) on /dev/fuse.</summary>
    public bool IoUringActive => _uring?.Active == true;

    /// <summary>The size of a request buffer: the largest WRITE plus room for its headers.</summary>
    internal int BufferSize => _options.MaxWrite + 64 * 1024;

    /// <summary>The descriptor the session was mounted with (what a holder keeps; no worker reads from it).</summary>
    internal int Fd => _fd;

    /// <summary>The kernel's device number of the mount (fusectl's name for the connection).</summary>
    internal ulong Device => _device;

    /// <summary>Mounts at <paramref name="mountPoint"/>, completes INIT and starts serving. Throws with a message on failure.</summary>
    public void Mount(string mountPoint)
    {
        if (Libc.Geteuid() != 0) throw new InvalidOperationException("mounting a FUSE file system needs root");
        if (!File.Exists(FuseMount.Device)) throw new InvalidOperationException($"{FuseMount.Device} does not exist: load the fuse module");
        fixed (byte* path = "/dev/fuse\0"u8)
            _fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (_fd < 0) throw new IOException($"open {FuseMount.Device} failed: {Errno.Name(Libc.Errno)}");
        try
        {
            FuseMount.Mount(_fd, mountPoint, _options);
            MountPoint = mountPoint;
            var init = new FuseRequestLoop(this, _fs, _fd, ownsFd: false, BufferSize, _options.Log, first: true);
            try
            {
                Initialize(init);
            }
            finally
            {
                init.Dispose();
            }
            _device = FuseMount.KernelDevice(mountPoint);
            Serve();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Serves a session that is already mounted and initialised (kept alive by a holder while its previous server
    /// died): no mount, no INIT; <paramref name="fd"/> (now owned) is a descriptor of that connection.
    /// </summary>
    public void Attach(int fd, string mountPoint, FuseNegotiated negotiated, ulong device)
    {
        _fd = fd;
        MountPoint = mountPoint;
        _device = device;
        Negotiated = negotiated;
        PassthroughEnabled = (negotiated.Flags & FuseConstants.Passthrough) != 0;
        try
        {
            _fs.Init(this);
            Serve();
            if (IoUringActive) FuseUring.Kick(mountPoint, _options.Log);
            _options.Log?.Invoke($"fuse: took over the session at {mountPoint} (7.{negotiated.Minor}, passthrough {PassthroughEnabled})");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts the workers, each on a clone of the session's descriptor. None reads from the descriptor itself: a request
    /// a worker has read but not answered when this process dies is failed by the kernel as its descriptor closes,
    /// whereas one read through the descriptor a holder keeps open would wait forever.
    /// </summary>
    private void Serve()
    {
        var uring = (Negotiated.Flags & FuseUring.InitFlag) != 0;
        // Over io_uring, /dev/fuse carries only FORGET and INTERRUPT (and requests queued before the rings started).
        var threads = uring ? 1 : Math.Max(1, _options.Threads);
        for (var i = 0; i < threads; i++)
        {
            var clone = Clone();
            if (clone < 0)
            {
                _options.Log?.Invoke($"fuse: FUSE_DEV_IOC_CLONE failed ({Errno.Name(-clone)}); serving with {Math.Max(1, i)} thread(s)");
                if (i == 0) _loops.Add(new FuseRequestLoop(this, _fs, _fd, ownsFd: false, BufferSize, _options.Log, first: true));
                break;
            }
            _loops.Add(new FuseRequestLoop(this, _fs, clone, ownsFd: true, BufferSize, _options.Log, first: i == 0));
        }
        Gate = new ReaderGate(_loops.Count);
        for (var i = 0; i < _loops.Count; i++) _loops[i].Start($"hive-fuse-{i}");
        if (uring) _uring = FuseUring.Start(this, _fs, _fd, _options.IoUringQueueDepth, _options.Log);
    }

    private void Initialize(FuseRequestLoop loop)
    {
        while (true)
        {
            var errno = loop.ReadOne(out var header, out var body);
            if (errno != 0)
            {
                if (errno is Errno.EINTR or Errno.EAGAIN) continue;
                throw new IOException($"reading INIT from {FuseMount.Device} failed: {Errno.Name(errno)}");
            }
            if (header.Opcode != (uint)FuseOpcode.Init)
            {
                loop.ReplyError(header.Unique, Errno.EIO);
                continue;
            }
            var init = MemoryMarshal.Read<FuseInitIn>(body);
            if (init.Major != FuseConstants.KernelVersion || init.Minor < FuseConstants.MinimumMinorVersion)
            {
                loop.ReplyError(header.Unique, Errno.EPROTO);
                throw new IOException($"the kernel speaks FUSE {init.Major}.{init.Minor}; 7.{FuseConstants.MinimumMinorVersion} or newer is needed");
            }
            var offered = init.Flags | ((init.Minor >= 36 && (init.Flags & (uint)FuseConstants.InitExt) != 0) ? (ulong)init.Flags2 << 32 : 0);
            var wanted = FuseConstants.AsyncRead | FuseConstants.AtomicOTrunc | FuseConstants.BigWrites
                | FuseConstants.AutoInvalData | FuseConstants.DoReaddirplus | FuseConstants.ReaddirplusAuto
                | FuseConstants.ParallelDirops | FuseConstants.MaxPages | FuseConstants.CacheSymlinks
                | FuseConstants.AbortError | FuseConstants.AsyncDio | FuseConstants.InitExt;
            if (_options.Passthrough) wanted |= FuseConstants.Passthrough;
            if (_options.IoUring && (offered & FuseUring.InitFlag) != 0)
            {
                if (FuseUring.Available(out var reason)) wanted |= FuseUring.InitFlag;
                else _options.Log?.Invoke($"fuse: the kernel offers io_uring but {reason}; serving through {FuseMount.Device}");
            }
            var flags = offered & wanted;
            var minor = Math.Min(init.Minor, FuseConstants.KernelMinorVersion);
            var maxPages = (ushort)Math.Min(_options.MaxWrite / 4096, 256);
            var reply = new FuseInitOut
            {
                Major = FuseConstants.KernelVersion,
                Minor = minor,
                MaxReadahead = init.MaxReadahead,
                Flags = (uint)flags,
                Flags2 = (uint)(flags >> 32),
                MaxBackground = 64,
                CongestionThreshold = 48,
                MaxWrite = (uint)_options.MaxWrite,
                TimeGran = 1,
                MaxPages = maxPages,
                MaxStackDepth = (flags & FuseConstants.Passthrough) != 0 ? FuseConstants.MaxStackDepth : 0,
            };
            Negotiated = new FuseNegotiated(minor, flags);
            PassthroughEnabled = (flags & FuseConstants.Passthrough) != 0;
            _fs.Init(this);
            loop.Reply(header.Unique, reply);
            _options.Log?.Invoke($"fuse: INIT {init.Major}.{init.Minor} -> 7.{minor}, flags 0x{flags:x}, passthrough {PassthroughEnabled}, io_uring {(flags & FuseUring.InitFlag) != 0}");
            return;
        }
    }

    private int Clone()
    {
        int fd;
        fixed (byte* path = "/dev/fuse\0"u8)
            fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0) return -Libc.Errno;
        var source = (uint)_fd;
        if (Libc.Ioctl(fd, FuseConstants.DevIocClone, &source) != 0)
        {
            var errno = Libc.Errno;
            Libc.Close(fd);
            return -errno;
        }
        return fd;
    }

    public int OpenBacking(int fd)
    {
        var map = new FuseBackingMap { Fd = fd };
        var id = Libc.Ioctl(_fd, FuseConstants.DevIocBackingOpen, &map);
        return id < 0 ? -Libc.Errno : id;
    }

    public void CloseBacking(int backingId)
    {
        var id = (uint)backingId;
        Libc.Ioctl(_fd, FuseConstants.DevIocBackingClose, &id);
    }

    public int NotifyInvalEntry(ulong parent, ReadOnlySpan<byte> name)
    {
        if (name.Length > 1024) return Errno.ENAMETOOLONG;
        Span<byte> message = stackalloc byte[16 + 16 + name.Length + 1];
        var header = new FuseOutHeader { Len = (uint)message.Length, Error = (int)FuseNotifyCode.InvalEntry, Unique = 0 };
        var body = new FuseNotifyInvalEntryOut { Parent = parent, NameLen = (uint)name.Length };
        MemoryMarshal.Write(message, in header);
        MemoryMarshal.Write(message[16..], in body);
        name.CopyTo(message[32..]);
        message[^1] = 0;
        return WriteNotification(message);
    }

    public int NotifyInvalInode(ulong nodeId, bool data)
    {
        Span<byte> message = stackalloc byte[16 + 24];
        var header = new FuseOutHeader { Len = (uint)message.Length, Error = (int)FuseNotifyCode.InvalInode, Unique = 0 };
        var body = new FuseNotifyInvalInodeOut { Ino = nodeId, Off = data ? 0 : -1, Len = 0 };
        MemoryMarshal.Write(message, in header);
        MemoryMarshal.Write(message[16..], in body);
        return WriteNotification(message);
    }

    private int WriteNotification(ReadOnlySpan<byte> message)
    {
        if (_fd < 0 || Volatile.Read(ref _disposed) != 0) return Errno.ENODEV;
        // The kernel may wait on a request (a page or directory lock held by a caller waiting for us) before it takes
        // an invalidation: some worker must be reading meanwhile.
        Gate.Handoff();
        fixed (byte* p = message)
            return Libc.Write(_fd, p, (nuint)message.Length) < 0 ? Libc.Errno : 0;
    }

    /// <summary>Unmounts lazily, lets the threads drain, aborts the connection if the mount stays busy, closes everything.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var running = _loops.Where(l => l.Started).Select(l => (Func<TimeSpan, bool>)l.Join)
            .Concat(_uring?.Workers.Select(w => (Func<TimeSpan, bool>)w.Join) ?? []).ToList();
        // Unmount only our own mount: a newer server may have replaced it at the same place (daemon restart). When
        // our threads have already ended, our connection is gone (its device number may even be reused by now).
        var ours = running.Count == 0 || !WaitAll(running, TimeSpan.FromMilliseconds(50));
        if (MountPoint is not null && ours && (_device == 0 || FuseMount.KernelDevice(MountPoint) == _device))
        {
            try { FuseMount.Unmount(MountPoint); }
            catch (IOException e) { _options.Log?.Invoke("fuse: " + e.Message); }
        }
        if (!WaitAll(running, TimeSpan.FromSeconds(2)) && _device != 0)
        {
            // Someone still holds the mount (lazy unmount keeps it alive): end the connection for good.
            FuseMount.Abort(_device);
            WaitAll(running, TimeSpan.FromSeconds(5));
        }
        foreach (var loop in _loops) loop.Dispose();
        foreach (var worker in _uring?.Workers ?? []) worker.Dispose();
        if (running.TrueForAll(join => join(TimeSpan.Zero))) Gate.Dispose();
        if (_fd >= 0) Libc.Close(_fd);
        _fd = -1;
    }

    private static bool WaitAll(List<Func<TimeSpan, bool>> joins, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var join in joins)
        {
            var left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero || !join(left)) return false;
        }
        return true;
    }
}
