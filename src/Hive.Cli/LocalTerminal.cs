using System.Runtime.InteropServices;

namespace Hive.Cli;

/// <summary>
/// The user's own terminal, for <c>hive exec -it</c> and <c>hive shell</c>: raw mode (every key goes to the sandbox,
/// Ctrl-C included, and the sandbox's terminal echoes), the window size, and SIGWINCH. Restores the settings on dispose.
/// </summary>
internal sealed class LocalTerminal : IDisposable
{
    private const int TCSANOW = 0;
    private const ulong TIOCGWINSZ = 0x5413;
    private readonly byte[]? _saved;

    private LocalTerminal(byte[]? saved) => _saved = saved;

    public static bool IsTerminal(int fd) => isatty(fd) == 1;

    /// <summary>Puts stdin into raw mode when it is a terminal (otherwise changes nothing).</summary>
    public static LocalTerminal EnterRaw()
    {
        if (!IsTerminal(0)) return new LocalTerminal(null);
        var saved = new byte[TermiosSize];
        if (tcgetattr(0, saved) != 0) return new LocalTerminal(null);
        var raw = (byte[])saved.Clone();
        cfmakeraw(raw);
        tcsetattr(0, TCSANOW, raw);
        return new LocalTerminal(saved);
    }

    /// <summary>The window size of the first of stdin, stdout, stderr that is a terminal; null when none is.</summary>
    public static (int Rows, int Cols)? Size()
    {
        foreach (var fd in new[] { 0, 1, 2 })
            if (ioctl(fd, TIOCGWINSZ, out var ws) == 0 && ws.Rows > 0 && ws.Cols > 0) return (ws.Rows, ws.Cols);
        return null;
    }

    /// <summary>Reads stdin as it comes (a background thread, so a read blocked at exit does not hold the process).</summary>
    public static void ReadInput(Action<byte[]> onKeys, Action onEnd)
    {
        var thread = new Thread(() =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                var n = read(0, buffer, buffer.Length);
                if (n < 0 && Marshal.GetLastPInvokeError() == 4) continue; // EINTR
                if (n <= 0) break;
                onKeys(buffer.AsSpan(0, (int)n).ToArray());
            }
            onEnd();
        }) { IsBackground = true, Name = "hive terminal input" };
        thread.Start();
    }

    public void Dispose()
    {
        if (_saved is not null) tcsetattr(0, TCSANOW, _saved);
    }

    // struct termios on Linux is 60 bytes; a little more is harmless.
    private const int TermiosSize = 64;

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows, Cols, XPixel, YPixel;
    }

    [DllImport("libc")] private static extern int isatty(int fd);
    [DllImport("libc")] private static extern int tcgetattr(int fd, byte[] termios);
    [DllImport("libc")] private static extern int tcsetattr(int fd, int action, byte[] termios);
    [DllImport("libc")] private static extern void cfmakeraw(byte[] termios);
    [DllImport("libc", SetLastError = true)] private static extern int ioctl(int fd, ulong request, out WinSize size);
    [DllImport("libc", SetLastError = true)] private static extern nint read(int fd, byte[] buffer, nint count);
}
