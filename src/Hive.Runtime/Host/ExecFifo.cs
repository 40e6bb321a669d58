using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Hive.Runtime.Host;

/// <summary>Reads the byte a created container's init writes to runc's exec.fifo, which lets the init go on.</summary>
internal static partial class ExecFifo
{
    private const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, EAGAIN = 11, EINTR = 4;

    /// <summary>
    /// Opened without blocking (a blocking open would hang for good if the init had died), then read until the
    /// byte arrives: before the init has the fifo open a read sees end-of-file, after it EAGAIN until it writes.
    /// </summary>
    public static async Task ReleaseAsync(string fifo, TimeSpan timeout, CancellationToken ct)
    {
        var fd = Open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) throw new HostCommandException($"open {fifo}: {Marshal.GetLastPInvokeErrorMessage()}");
        try
        {
            var clock = Stopwatch.StartNew();
            while (!TryRead(fd))
            {
                if (clock.Elapsed > timeout) throw new HostCommandException($"the container's init did not start within {timeout.TotalSeconds:F0} s ({fifo})");
                await Task.Delay(1, ct);
            }
        }
        finally
        {
            Close(fd);
        }
    }

    private static unsafe bool TryRead(int fd)
    {
        byte b;
        var n = Read(fd, &b, 1);
        if (n > 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (n == 0 || errno is EAGAIN or EINTR) return false;
        throw new HostCommandException($"reading runc's exec.fifo: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
