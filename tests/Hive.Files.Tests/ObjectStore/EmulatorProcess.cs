using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hive.Tests.ObjectStores;

/// <summary>
/// The process of an object-store emulator from npm (s3rver, Azurite, the Cloud Storage emulator of firebase-tools) on a
/// free loopback port, with a temporary data directory. What it runs is the caller's: <c>configure</c> fills in the
/// start info (program arguments, environment) each time it starts. Pause/Resume freeze and continue it (SIGSTOP: the
/// port stays open, nothing answers), Kill/Restart take it away and bring it back on the same port with its data;
/// Dispose kills it by PID and removes the data. Shared by the store tests (Hive.Files.Tests), where this file lives,
/// and the end-to-end tests and benchmarks, which link it.
/// </summary>
public sealed partial class EmulatorProcess : IDisposable
{
    /// <summary>Where scripts/install-deps.sh objstore installs the emulators.</summary>
    public static readonly string Servers = Environment.GetEnvironmentVariable("HIVE_OBJSTORE_SERVERS") ?? "/var/cache/hive-test/objstore";

    private readonly string _kind;
    private readonly Action<ProcessStartInfo> _configure;
    private readonly string? _log;
    private readonly Lock _logLock = new();
    private Process? _process;

    /// <param name="kind">The store it emulates, for messages.</param>
    /// <param name="dataPrefix">The name of the temporary data directory starts with this.</param>
    /// <param name="configure">Fills in what <c>node</c> runs; <see cref="Port"/> and <see cref="Data"/> are set by then.</param>
    /// <param name="keepOutput">Append the process's output to server.log in <see cref="Data"/> (otherwise it is dropped).</param>
    public EmulatorProcess(string kind, string dataPrefix, Action<ProcessStartInfo> configure, bool keepOutput)
    {
        _kind = kind;
        _configure = configure;
        Data = Directory.CreateTempSubdirectory(dataPrefix).FullName;
        Port = FreePort();
        _log = keepOutput ? Path.Combine(Data, "server.log") : null;
    }

    public string Data { get; }
    public int Port { get; }

    /// <summary>
    /// Runs scripts/install-deps.sh objstore unless every one of <paramref name="files"/> (relative to <see cref="Servers"/>)
    /// is there; <paramref name="what"/> names the packages for the error.
    /// </summary>
    public static void EnsureInstalled(string what, params string[] files)
    {
        if (files.All(f => File.Exists(Path.Combine(Servers, f)))) return;
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepoRoot(), "scripts/install-deps.sh"));
        start.ArgumentList.Add("objstore");
        using var install = Process.Start(start)!;
        var stdout = install.StandardOutput.ReadToEndAsync();
        var stderr = install.StandardError.ReadToEndAsync();
        if (!install.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            install.Kill(entireProcessTree: true);
            install.WaitForExit();
            throw new InvalidOperationException($"the object-store tests need {what} from npm (scripts/install-deps.sh objstore timed out after 10 min): {stderr.Result}{stdout.Result}");
        }
        if (install.ExitCode != 0)
            throw new InvalidOperationException($"the object-store tests need {what} from npm (scripts/install-deps.sh objstore failed): exit {install.ExitCode}: {stderr.Result}{stdout.Result}");
    }

    /// <summary>Starts it and waits (up to 120 s) until it accepts connections on <see cref="Port"/>.</summary>
    public void Start()
    {
        var start = new ProcessStartInfo { FileName = "node", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _configure(start);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (_process.HasExited) throw new InvalidOperationException($"{_kind} server exited at start with {_process.ExitCode}");
            try
            {
                using var socket = new TcpClient();
                socket.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new InvalidOperationException($"{_kind} server did not listen on 127.0.0.1:{Port} within 120 s");
    }

    private void Keep(string? line)
    {
        if (_log is null || line is null) return;
        lock (_logLock) File.AppendAllText(_log, line + "\n");
    }

    /// <summary>SIGSTOP: the port stays open but nothing answers (a hung store).</summary>
    public void Pause() => Signal(19);

    /// <summary>SIGCONT.</summary>
    public void Resume() => Signal(18);

    private void Signal(int signal)
    {
        var pid = _process!.Id;
        if (SendSignal(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>The store goes away (connections refused); its data stays for <see cref="Restart"/>.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            _ = SendSignal(p.Id, 18); // a paused process and its children continue, to die
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    public void Restart()
    {
        Kill();
        Start();
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        finally
        {
            try { Directory.Delete(Data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hive.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Hive.sln) above " + AppContext.BaseDirectory);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
