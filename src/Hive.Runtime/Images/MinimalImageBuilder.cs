using Hive.Core.Processes;
using System.Diagnostics;
using System.Runtime.Versioning;
using static Hive.Runtime.Images.RootfsFiles;

namespace Hive.Runtime.Images;

/// <summary>hive/minimal: the host's static busybox, a symlink per applet, and just enough /etc. No download.</summary>
[SupportedOSPlatform("linux")]
internal sealed class MinimalImageBuilder(string busyboxPath) : IImageBuilder
{
    public const string MissingBusybox = "hive/minimal needs busybox-static: apt-get install busybox-static";

    public async Task<ImageManifest> BuildAsync(string rootfs, IProgress<ImageProgress> progress, CancellationToken ct)
    {
        if (!File.Exists(busyboxPath)) throw new ImageBuildException(MissingBusybox);
        if (!ElfInfo.IsStaticExecutable(busyboxPath))
        {
            throw new ImageBuildException($"{MissingBusybox} ({busyboxPath} is not a statically linked executable)");
        }

        progress.Report(new ImageProgress("resolving", 0.05, "busybox applets"));
        var applets = await ListAppletsAsync(ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        progress.Report(new ImageProgress("extracting", 0.2, "busybox"));
        Dir(rootfs, "/");
        foreach (var dir in new[] { "/bin", "/dev", "/etc", "/home", "/proc", "/run", "/sys", "/usr", "/usr/local", "/usr/local/bin", "/var" })
        {
            Dir(rootfs, dir);
        }
        var busybox = At(rootfs, "/bin/busybox");
        File.Copy(busyboxPath, busybox);
        File.SetUnixFileMode(busybox, Mode0755);
        ImageNative.Chown(busybox, 0, 0);
        ct.ThrowIfCancellationRequested();

        progress.Report(new ImageProgress("configuring", 0.4, $"{applets.Count} applets"));
        foreach (var applet in applets)
        {
            Symlink(rootfs, "/bin/" + applet, "busybox");
        }
        // One directory of binaries, reachable by every conventional path (/usr/bin/env, /sbin/ip, ...).
        Symlink(rootfs, "/sbin", "bin");
        Symlink(rootfs, "/usr/bin", "../bin");
        Symlink(rootfs, "/usr/sbin", "../bin");
        ct.ThrowIfCancellationRequested();

        progress.Report(new ImageProgress("configuring", 0.7, "accounts and directories"));
        var agent = UnixAccounts.AgentId;
        Text(rootfs, "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n" +
            $"agent:x:{agent}:{agent}:agent:/home/agent:/bin/sh\n" +
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        Text(rootfs, "/etc/group", $"root:x:0:\nagent:x:{agent}:\nnogroup:x:65534:\n");
        Text(rootfs, "/etc/hosts", HiveImageDefaults.Hosts);
        Text(rootfs, "/etc/resolv.conf", "");
        Text(rootfs, "/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n");
        Dir(rootfs, "/tmp", Mode1777);
        Dir(rootfs, "/var/tmp", Mode1777);
        Dir(rootfs, "/root", Mode0700);
        Dir(rootfs, "/home/agent", Mode0755, agent, agent);
        Dir(rootfs, "/workspace", Mode0755, agent, agent);

        return new ImageManifest
        {
            Cmd = HiveImageDefaults.SleeperCmd,
            Env = [HiveImageDefaults.Path, HiveImageDefaults.Home],
            WorkingDir = HiveImageDefaults.WorkingDir,
            User = HiveImageDefaults.AgentUser,
        };
    }

    private async Task<List<string>> ListAppletsAsync(CancellationToken ct)
    {
        var psi = new ProcessStartInfo(busyboxPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--list");
        using var process = Process.Start(psi) ?? throw new ImageBuildException($"could not start {busyboxPath}");
        using var pipes = new RedirectedPipes(process);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new ImageBuildException($"{busyboxPath} --list exited with {process.ExitCode}: {(await stderr.ConfigureAwait(false)).Trim()}");
        }
        var applets = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line == "busybox" || line.Contains('/') || line is "." or "..") continue;
            applets.Add(line);
        }
        if (applets.Count == 0) throw new ImageBuildException($"{busyboxPath} --list printed no applets");
        return applets;
    }
}
