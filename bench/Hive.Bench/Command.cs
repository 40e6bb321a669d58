using System.Diagnostics;

namespace Hive.Bench;

/// <summary>Commands the benchmarks run on the host to their end (dd, git, python3, sh), synchronously.</summary>
public static class Command
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/> (and <paramref name="environment"/> added to this
    /// process's) and returns its standard output; a non-zero exit throws with its standard error, and more than 10
    /// minutes kills it and throws.
    /// </summary>
    public static string Run(string file, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)}"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Writes dirty pages out and empties the kernel's page cache, dentries and inodes (a cold read follows).</summary>
    public static void DropCaches() => Run("/bin/sh", ["-c", "sync; echo 3 > /proc/sys/vm/drop_caches"]);
}
