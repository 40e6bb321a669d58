using System.Collections.Concurrent;
using System.Diagnostics;
using Hive.Core.Config;
using Hive.Files.Audit;
using Hive.Files.Backends;

namespace Hive.Files.Tests;

/// <summary>
/// A mediated FUSE mount on a temporary directory over a temporary backend, served in this process. Commands run in
/// child processes (as uid 1000 by default, the sandbox agent's uid) against the mount. Dispose always unmounts.
/// </summary>
public sealed class FuseFixture : IDisposable
{
    public const int AgentUid = 1000;
    public const string SandboxMount = "/workspace";

    private readonly MountedFileSystem? _mount;

    public FuseFixture(IReadOnlyList<AclRule>? acls = null, FuseOptions? options = null, Action<string>? backendSetup = null,
        Func<string, IFsBackend>? backend = null)
    {
        Requirements.Check();
        Base = Directory.CreateTempSubdirectory("hive-fuse-test-").FullName;
        Backend = Path.Combine(Base, "backend");
        MountPoint = Path.Combine(Base, "mnt");
        Directory.CreateDirectory(Backend);
        Directory.CreateDirectory(MountPoint);
        File.SetUnixFileMode(Base, (UnixFileMode)0x1ED); // 0755
        Run($"chown {AgentUid}:{AgentUid} '{Backend}'", uid: 0).AssertOk();
        backendSetup?.Invoke(Backend);
        try
        {
            _mount = MountedFileSystem.Mount(MountPoint, SandboxMount, backend?.Invoke(Backend) ?? new LocalBackend(Backend),
                acls ?? [new AclRule(SandboxMount + "/**", AclAccess.Rw)], Audit,
                FuseTransport.Apply(options ?? new FuseOptions()) with { Log = Log.Enqueue });
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    public string Base { get; }
    public string Backend { get; }
    public string MountPoint { get; }
    public RecordingSink Audit { get; } = new();
    public ConcurrentQueue<string> Log { get; } = new();
    public MountedFileSystem Mount => _mount!;

    /// <summary>Runs <paramref name="script"/> with sh in the mount point as <paramref name="uid"/>.</summary>
    public CommandResult Sh(string script, int uid = AgentUid, int timeoutSeconds = 300) =>
        Run($"cd '{MountPoint}' && {script}", uid, timeoutSeconds);

    /// <summary>Runs a python3 program in the mount point as <paramref name="uid"/>; <c>M</c> is the mount point.</summary>
    public CommandResult Python(string program, int uid = AgentUid, int timeoutSeconds = 300)
    {
        var file = Path.Combine(Base, $"script-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, $"import os, sys, errno, mmap\nM = {Quote(MountPoint)}\nos.chdir(M)\n" + program);
        File.SetUnixFileMode(file, (UnixFileMode)0x1A4); // 0644
        return Run($"python3 '{file}'", uid, timeoutSeconds);
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    public static CommandResult Run(string script, int uid, int timeoutSeconds = 300)
    {
        var start = new ProcessStartInfo
        {
            FileName = uid == 0 ? "/bin/sh" : "/usr/bin/setpriv",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (uid != 0)
        {
            foreach (var a in new[] { $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", "/bin/sh" }) start.ArgumentList.Add(a);
            start.Environment["HOME"] = "/tmp";
            // The sandbox user's view: system tools only (root's own toolchains may sit in directories it cannot enter).
            start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        }
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new CommandResult(-1, stdout.Result, stderr.Result + $"\n(timed out after {timeoutSeconds}s)");
        }
        return new CommandResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose() => Cleanup();

    private void Cleanup()
    {
        try
        {
            _mount?.Dispose();
        }
        finally
        {
            // Whatever happened above, leave no mount behind.
            while (FuseMount.Unmount(MountPoint)) { }
            try { Directory.Delete(Base, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public CommandResult AssertOk()
    {
        Assert.True(ExitCode == 0, $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}");
        return this;
    }

    public CommandResult AssertFails()
    {
        Assert.True(ExitCode != 0, $"expected a failure, got exit 0\nstdout: {Stdout}\nstderr: {Stderr}");
        return this;
    }

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

public sealed class RecordingSink : IFsAuditSink
{
    public ConcurrentQueue<FsAuditRecord> Records { get; } = new();

    public void Record(in FsAuditRecord record) => Records.Enqueue(record);

    public IReadOnlyList<FsAuditRecord> For(string path) => Records.Where(r => r.Path == path).ToList();
}

internal static class Requirements
{
    public static void Check()
    {
        if (Native.Libc.Geteuid() != 0)
            throw new InvalidOperationException("Hive.Files.Tests mount FUSE file systems and need root (run the tests as root)");
        if (!File.Exists("/dev/fuse"))
            throw new InvalidOperationException("Hive.Files.Tests need /dev/fuse (modprobe fuse, or run with --device /dev/fuse)");
        if (!File.Exists("/usr/bin/setpriv"))
            throw new InvalidOperationException("Hive.Files.Tests need setpriv (util-linux) to run commands as uid 1000");
    }
}
