using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>A daemon with hive/base (sh, coreutils, python3, git) for the tests that drive real tools in /workspace.</summary>
public class BaseDaemon : IAsyncLifetime
{
    public DaemonProcess Daemon { get; private set; } = null!;
    public HiveConnection Hive { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Daemon = await DaemonProcess.StartAsync(withBaseImage: true);
        Hive = Daemon.Connect();
    }

    public async Task DisposeAsync()
    {
        Hive.Dispose();
        await Daemon.DisposeAsync();
    }

    public static SandboxConfig Base(Action<SandboxConfig>? edit = null)
    {
        var c = new SandboxConfig { Image = "hive/base" };
        edit?.Invoke(c);
        return c;
    }

    /// <summary>Runs a bash script in the sandbox and fails the test with its output unless it exits 0.</summary>
    public static async Task<string> OkAsync(Sandbox sb, string script, int timeoutMs = 120_000)
    {
        var r = await ShAsync(sb, script, timeoutMs);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode} from:\n{script}\nstdout: {r.Stdout}\nstderr: {r.Stderr}");
        return r.Stdout;
    }

    public static Task<ExecResult> ShAsync(Sandbox sb, string script, int timeoutMs = 120_000) =>
        sb.ExecAsync(new ExecRequest { Command = new ExecCommand(["bash", "-c", "set -e\n" + script]), Cwd = "/workspace", TimeoutMs = timeoutMs });

    /// <summary>Runs a python3 program in /workspace; fails the test with its output unless it exits 0.</summary>
    public static Task<string> PythonAsync(Sandbox sb, string program, int timeoutMs = 120_000) =>
        OkAsync(sb, "python3 - <<'PY'\nimport os, sys, errno, mmap, ctypes\n" + program + "\nPY", timeoutMs);
}

[CollectionDefinition("base")]
public sealed class BaseCollection : ICollectionFixture<BaseDaemon>;
