using System.Runtime.InteropServices;

namespace Hive.EndToEnd.Infrastructure;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
