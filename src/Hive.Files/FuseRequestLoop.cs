using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files;

/// <summary>
/// One serving thread: blocks in read(2) on its descriptor when <see cref="ReaderGate"/> makes it the reader,
/// dispatches, writes the reply to the same descriptor.
/// Its buffers are allocated once, outside the GC heap; nothing on the way allocates. An exception from a handler
/// becomes EIO for that request and a log line; the loop ends only when the connection does (ENODEV).
/// </summary>
internal sealed unsafe class FuseRequestLoop : IDisposable
{
    private readonly FuseSession _session;
    private readonly IFuseFileSystem _fs;
    private readonly int _fd;
    private readonly bool _ownsFd;
    private readonly int _size;
    private readonly Action<string>? _log;
    private byte* _in;
    private byte* _out;
    private Thread? _thread;
    // The first worker starts as the reader; the others start parked (see ReaderGate).
    private readonly bool _first;

    public FuseRequestLoop(FuseSession session, IFuseFileSystem fs, int fd, bool ownsFd, int bufferSize, Action<string>? log, bool first)
    {
        _first = first;
        _session = session;
        _fs = fs;
        _fd = fd;
        _ownsFd = ownsFd;
        _size = bufferSize;
        _log = log;
        _in = (byte*)NativeMemory.AlignedAlloc((nuint)bufferSize, 4096);
        _out = (byte*)NativeMemory.AlignedAlloc((nuint)bufferSize, 4096);
    }

    public bool Started => _thread is not null;

    public void Start(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    /// <summary>Reads one request (used for INIT before the threads start).</summary>
    public int ReadOne(out FuseInHeader header, out ReadOnlySpan<byte> body)
    {
        header = default;
        body = default;
        var n = Libc.Read(_fd, _in, (nuint)_size);
        if (n < 0) return Libc.Errno;
        if (n < sizeof(FuseInHeader)) return Errno.EIO;
        header = Unsafe.ReadUnaligned<FuseInHeader>(_in);
        body = new ReadOnlySpan<byte>(_in + sizeof(FuseInHeader), (int)n - sizeof(FuseInHeader));
        return 0;
    }

    public void Reply<T>(ulong unique, in T payload) where T : unmanaged
    {
        var output = new Span<byte>(_out, _size);
        MemoryMarshal.Write(output[16..], in payload);
        Send(FuseDispatcher.Finish(output, unique, 0, Unsafe.SizeOf<T>()));
    }

    public void ReplyError(ulong unique, int errno) => Send(FuseDispatcher.Finish(new Span<byte>(_out, _size), unique, errno, 0));

    private void Run()
    {
        var output = new Span<byte>(_out, _size);
        var gate = _session.Gate;
        var reading = _first;
        while (true)
        {
            if (!reading && !gate.Park()) return;
            var n = Libc.Read(_fd, _in, (nuint)_size);
            gate.LeftRead();
            if (n < 0)
            {
                var errno = Libc.Errno;
                // ENOENT: the request was interrupted before we got it; EINTR/EAGAIN: try again.
                if (errno is Errno.EINTR or Errno.EAGAIN or Errno.ENOENT)
                {
                    reading = gate.TryRead();
                    continue;
                }
                if (errno != Errno.ENODEV && errno != ECONNABORTED) _log?.Invoke($"fuse: read failed: {Errno.Name(errno)}; thread ends");
                gate.End();
                return;
            }
            if (n < sizeof(FuseInHeader))
            {
                reading = gate.TryRead();
                continue;
            }
            var header = Unsafe.ReadUnaligned<FuseInHeader>(_in);
            var length = (int)Math.Min((uint)n, header.Len);
            // Extensions (security context, supplementary groups) trail the arguments; none are negotiated, but skip them.
            var body = new ReadOnlySpan<byte>(_in + sizeof(FuseInHeader), Math.Max(0, length - sizeof(FuseInHeader) - header.TotalExtlen * 8));
            if (ReaderGate.MayBlock(header, body)) gate.Handoff();
            int reply;
            try
            {
                reply = FuseDispatcher.Dispatch(_fs, header, body, output, _session.Negotiated);
            }
            catch (Exception e)
            {
                _log?.Invoke($"fuse: opcode {header.Opcode} on node {header.NodeId} failed: {e}");
                reply = header.Opcode is (uint)FuseOpcode.Forget or (uint)FuseOpcode.BatchForget or (uint)FuseOpcode.Interrupt
                    ? 0 : FuseDispatcher.Finish(output, header.Unique, Errno.EIO, 0);
            }
            if (reply > 0) Send(reply);
            reading = gate.TryRead();
        }
    }

    private const int ECONNABORTED = 103;

    private void Send(int length)
    {
        var n = Libc.Write(_fd, _out, (nuint)length);
        if (n >= 0) return;
        var errno = Libc.Errno;
        // ENOENT: the request was interrupted or the connection aborted meanwhile; nobody waits for the answer.
        if (errno is not (Errno.ENOENT or Errno.ENODEV or ECONNABORTED)) _log?.Invoke($"fuse: reply failed: {Errno.Name(errno)}");
    }

    public void Dispose()
    {
        // A thread that never ended still uses the buffers: leak them rather than free memory under it.
        if (_thread is not null && _thread.IsAlive) return;
        if (_ownsFd) Libc.Close(_fd);
        NativeMemory.AlignedFree(_in);
        NativeMemory.AlignedFree(_out);
        _in = null;
        _out = null;
    }
}
