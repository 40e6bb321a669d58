using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Hive.Runtime.Host;

/// <summary>Reads the byte a created container's init writes to runc's exec.fifo, which lets the init go on.</summary>
internal static class ExecFifo
{
    /// <summary>
    /// Opened without blocking (a blocking open would hang for good if the init had died), then read until the
    /// byte arrives: before the init has the fifo open a read sees end-of-file, after it EAGAIN until it writes.
    /// </summary>
    public static async Task ReleaseAsync(string fifo, TimeSpan timeout, CancellationToken ct)
    {
        var fd = Libc.Open(fifo, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
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
            Libc.Close(fd);
        }
    }

    private static unsafe bool TryRead(int fd)
    {
        byte b;
        var n = Libc.Read(fd, &b, 1);
        if (n > 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (n == 0 || errno is Libc.EAGAIN or Libc.EINTR) return false;
        throw new HostCommandException($"reading runc's exec.fifo: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
