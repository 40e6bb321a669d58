using System.Runtime.InteropServices;

namespace Hive.Cli;

/// <summary>The few libc calls the CLI needs.</summary>
internal static class Native
{
    public const int SIGTERM = 15;

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    public static bool IsRoot => geteuid() == 0;

    /// <summary>Sends a signal; false when the process does not exist or may not be signalled.</summary>
    public static bool Kill(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>Whether the process exists and has not exited (a zombie counts as exited).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The argv of a process, or empty when it does not exist.</summary>
    public static string[] CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }
}
