using System.Diagnostics;
using System.Runtime.Versioning;
using Hive.Runtime.Images;

namespace Hive.Runtime.Tests;

internal static class Root
{
    /// <summary>Fails (never skips) when not root: these tests chown files to uid 1000 and mount file systems.</summary>
    public static void Require()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Fail("This test needs root (it builds images owned by uid 1000 and uses mounts). Run: sudo dotnet test tests/Hive.Runtime.Tests");
        }
    }
}

/// <summary>A fresh directory under /tmp, removed (mounts included) at the end of the test.</summary>
[SupportedOSPlatform("linux")]
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "hive-runtime-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose() => DirectoryRemover.Delete(Path);
}

/// <summary>Reports synchronously on the builder's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress(Action<ImageProgress>? onReport = null) : IProgress<ImageProgress>
{
    private readonly Lock _gate = new();
    private readonly List<ImageProgress> _reports = [];

    public IReadOnlyList<ImageProgress> Reports
    {
        get
        {
            lock (_gate) return [.. _reports];
        }
    }

    public void Report(ImageProgress value)
    {
        lock (_gate) _reports.Add(value);
        onReport?.Invoke(value);
    }
}

internal static class Host
{
    /// <summary>(uid, gid, octal mode) of a path, not following a final symlink.</summary>
    public static (int Uid, int Gid, string Mode) Stat(string path)
    {
        var output = Run("stat", "-c", "%u %g %a", path).Trim().Split(' ');
        return (int.Parse(output[0]), int.Parse(output[1]), output[2]);
    }

    public static string Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{exe} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
        return stdout.Result;
    }

    public static bool ProcessAlive(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (!File.Exists(status)) return false;
        try
        {
            return !File.ReadAllText(status).Contains("State:\tZ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
