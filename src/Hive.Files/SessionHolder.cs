using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Hive.Files.Native;

namespace Hive.Files;

/// <summary>What a later server needs to take over a kept FUSE session; stored as JSON next to the mount's other state.</summary>
public sealed record SessionRecord(int Pid, ulong StartTime, ulong Device, uint Minor, ulong Flags, int Epoch)
{
    public static SessionRecord? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<SessionRecord>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this));
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// Keeps a FUSE connection alive across the death of the process that serves it. The kernel ends a connection when the
/// last /dev/fuse descriptor of it closes; a small holder process (<c>sleep infinity</c>, in a session of its own so it
/// outlives the daemon) keeps one as its fd 3. While nobody serves, requests wait in the kernel's queue; a restarted
/// daemon takes a copy of the descriptor back with pidfd_getfd(2) and serves the same session, so processes whose
/// working directory or open files are on the mount carry on. The holder's start time guards against PID reuse.
/// </summary>
internal static unsafe partial class SessionHolder
{
    private const int HeldFd = 3;
    private const int SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434, SYS_pidfd_getfd = 438;
    private const short POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    private const int SIGKILL = 9, WNOHANG = 1;

    /// <summary>Starts a holder of <paramref name="fuseFd"/>. Returns its pid and start time.</summary>
    public static (int Pid, ulong StartTime) Start(int fuseFd)
    {
        var sleep = new[] { "/usr/bin/sleep", "/bin/sleep" }.FirstOrDefault(File.Exists)
            ?? throw new IOException("no sleep binary (/usr/bin/sleep, /bin/sleep) to hold the FUSE session");
        var actions = NativeMemory.AllocZeroed(512);
        var attr = NativeMemory.AllocZeroed(1024);
        var mask = NativeMemory.AllocZeroed(128);
        try
        {
            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            fixed (byte* devNull = "/dev/null\0"u8)
            {
                Check(posix_spawn_file_actions_addopen(actions, 0, devNull, 0 /* O_RDONLY */, 0), "addopen");
                Check(posix_spawn_file_actions_addopen(actions, 1, devNull, 1 /* O_WRONLY */, 0), "addopen");
                Check(posix_spawn_file_actions_addopen(actions, 2, devNull, 1, 0), "addopen");
            }
            // dup2 clears close-on-exec on the copy.
            Check(posix_spawn_file_actions_adddup2(actions, fuseFd, HeldFd), "adddup2");
            // Whatever else this process left inheritable is not the holder's to keep (glibc 2.34+).
            Check(posix_spawn_file_actions_addclosefrom_np(actions, HeldFd + 1), "addclosefrom_np");
            Check(posix_spawnattr_setsigmask(attr, mask), "setsigmask");
            Check(posix_spawnattr_setflags(attr, (short)(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK)), "setflags");
            var path = Marshal.StringToCoTaskMemUTF8(sleep);
            var arg1 = Marshal.StringToCoTaskMemUTF8("infinity");
            try
            {
                var argv = stackalloc nint[] { path, arg1, 0 };
                var envp = stackalloc nint[] { 0 };
                int pid;
                Check(posix_spawn(&pid, (byte*)path, actions, attr, argv, envp), "posix_spawn " + sleep);
                return (pid, StartTime(pid) ?? 0);
            }
            finally
            {
                Marshal.FreeCoTaskMem(path);
                Marshal.FreeCoTaskMem(arg1);
            }
        }
        finally
        {
            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            NativeMemory.Free(mask);
        }
    }

    /// <summary>A copy of the held descriptor (close-on-exec), or -1 when the holder is gone or is not the recorded one.</summary>
    public static int TakeCopy(SessionRecord record)
    {
        var pidfd = Open(record);
        if (pidfd < 0) return -1;
        try
        {
            return (int)Syscall(SYS_pidfd_getfd, pidfd, HeldFd, 0, 0);
        }
        finally
        {
            Libc.Close(pidfd);
        }
    }

    /// <summary>Ends the holder (the connection ends with it once nobody else holds it) and reaps it if it is our child.</summary>
    public static void Stop(SessionRecord record)
    {
        var pidfd = Open(record);
        if (pidfd < 0) return;
        try
        {
            Syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, 0, 0);
        }
        finally
        {
            Libc.Close(pidfd);
        }
        // Reap it when it is our child (ECHILD when an earlier daemon started it); never wait long.
        int status;
        for (var i = 0; i < 100 && waitpid(record.Pid, &status, WNOHANG) == 0; i++) Thread.Sleep(10);
    }

    /// <summary>A pidfd of the recorded holder; checked after opening, so the pid cannot be reused under us.</summary>
    private static int Open(SessionRecord record)
    {
        if (record.Pid <= 1 || StartTime(record.Pid) != record.StartTime) return -1;
        var pidfd = (int)Syscall(SYS_pidfd_open, record.Pid, 0, 0, 0);
        if (pidfd < 0) return -1;
        if (StartTime(record.Pid) == record.StartTime) return pidfd;
        Libc.Close(pidfd);
        return -1;
    }

    /// <summary>Field 22 of /proc/PID/stat (clock ticks after boot), null when there is no such process.</summary>
    internal static ulong? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && fields[0] != "Z" && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
    }

    private static void Check(int result, string what)
    {
        if (result != 0) throw new IOException($"{what} failed: {Errno.Name(result)}");
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c, long d);

    [LibraryImport("libc")]
    private static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, nint* argv, nint* envp);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int from);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigmask(void* attr, void* mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, int* status, int options);
}
