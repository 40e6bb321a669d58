using Hive.Core.Processes;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using static Hive.Runtime.Images.RootfsFiles;

namespace Hive.Runtime.Images;

/// <summary>hive/base: Debian bookworm minbase plus the tools agents expect, made by debootstrap.</summary>
[SupportedOSPlatform("linux")]
internal sealed class DebootstrapImageBuilder(ImageBuilderOptions options) : IImageBuilder
{
    public const string Packages = "bash,coreutils,curl,git,python3,ca-certificates,procps,iproute2,less,tini";
    public const string MissingDebootstrap = "hive/base needs debootstrap: apt-get install debootstrap";
    private const int TailLines = 20;

    public async Task<ImageManifest> BuildAsync(string rootfs, IProgress<ImageProgress> progress, CancellationToken ct)
    {
        var exe = Resolve(options.Debootstrap) ?? throw new ImageBuildException(MissingDebootstrap);
        var mirror = options.Mirror ?? AptSources.FindHostMirror(options.Suite);
        progress.Report(new ImageProgress("resolving", 0, $"debootstrap {options.Suite} from {mirror}"));

        string[] args = ["--variant=minbase", "--include=" + Packages, options.Suite, rootfs, mirror];
        await RunAsync(exe, args, rootfs, progress, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        progress.Report(new ImageProgress("finishing", DebootstrapProgress.InstalledFraction, "user agent, /workspace, cleanup"));
        Finish(rootfs, DateTimeOffset.UtcNow);

        return new ImageManifest
        {
            Entrypoint = ["/usr/bin/tini", "-s", "--"],
            Cmd = HiveImageDefaults.SleeperCmd,
            Env = [HiveImageDefaults.Path, HiveImageDefaults.Home, "LANG=C.UTF-8"],
            WorkingDir = HiveImageDefaults.WorkingDir,
            User = HiveImageDefaults.AgentUser,
        };
    }

    /// <summary>What useradd and apt-get clean would do, done from outside so no image code runs as host root.</summary>
    internal static void Finish(string rootfs, DateTimeOffset now)
    {
        const string agent = UnixAccounts.AgentName;
        const int id = UnixAccounts.AgentId;
        EditIfExists(rootfs, "/etc/passwd", t => UnixAccounts.AddPasswdEntry(t, agent, id, id, UnixAccounts.AgentHome, "/bin/bash"), required: true);
        EditIfExists(rootfs, "/etc/group", t => UnixAccounts.AddGroupEntry(t, agent, id), required: true);
        EditIfExists(rootfs, "/etc/shadow", t => UnixAccounts.AddShadowLikeEntry(t, UnixAccounts.ShadowLine(agent, now)), required: false);
        EditIfExists(rootfs, "/etc/gshadow", t => UnixAccounts.AddShadowLikeEntry(t, $"{agent}:!::"), required: false);

        var home = At(rootfs, UnixAccounts.AgentHome);
        var skel = At(rootfs, "/etc/skel");
        if (Directory.Exists(skel) && !Directory.Exists(home)) CopyTree(skel, home);
        Dir(rootfs, UnixAccounts.AgentHome, Mode0755, id, id);
        ChownTree(home, id, id);
        Dir(rootfs, "/workspace", Mode0755, id, id);

        // debootstrap copies the host's /etc/hosts, /etc/resolv.conf and /etc/hostname; none belongs in an image.
        Text(rootfs, "/etc/hosts", HiveImageDefaults.Hosts);
        Text(rootfs, "/etc/resolv.conf", "");
        Text(rootfs, "/etc/hostname", "hive\n");

        // apt-get clean, and the package lists (apt-get update brings them back).
        DeleteFiles(At(rootfs, "/var/cache/apt/archives"), "*.deb");
        DeleteContents(At(rootfs, "/var/cache/apt/archives/partial"));
        DeleteFiles(At(rootfs, "/var/cache/apt"), "*.bin");
        DeleteContents(At(rootfs, "/var/lib/apt/lists"));
    }

    private static void EditIfExists(string rootfs, string imagePath, Func<string, string> edit, bool required)
    {
        var path = At(rootfs, imagePath);
        if (!File.Exists(path))
        {
            if (required) throw new ImageBuildException($"debootstrap left no {imagePath} in {rootfs}");
            return;
        }
        var before = File.ReadAllText(path);
        var after = edit(before);
        if (after != before) File.WriteAllText(path, after); // in place: keeps the file's mode and owner
    }

    private static void DeleteFiles(string dir, string pattern)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var file in Directory.EnumerateFiles(dir, pattern)) File.Delete(file);
    }

    private static void DeleteContents(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo d && d.LinkTarget is null) DirectoryRemover.Delete(d.FullName);
            else entry.Delete();
        }
    }

    private static async Task RunAsync(string exe, string[] args, string rootfs, IProgress<ImageProgress> progress, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.Environment["LC_ALL"] = "C";
        psi.Environment["LANG"] = "C";
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        psi.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

        var parser = new DebootstrapProgress();
        var tail = new Queue<string>(TailLines);
        var gate = new Lock();
        void OnLine(string line)
        {
            lock (gate)
            {
                if (tail.Count == TailLines) tail.Dequeue();
                tail.Enqueue(line);
                if (parser.Feed(line)) progress.Report(parser.Current);
            }
        }

        using var process = new Process { StartInfo = psi };
        using var pipes = new RedirectedPipes(process);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new ImageBuildException($"could not start {exe}: {ex.Message}", ex);
        }
        process.StandardInput.Close();
        var pumps = Task.WhenAll(Pump(process.StandardOutput, OnLine), Pump(process.StandardError, OnLine));

        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await WaitBriefly(pumps).ConfigureAwait(false);
            throw;
        }
        await WaitBriefly(pumps).ConfigureAwait(false);

        if (process.ExitCode != 0)
        {
            string output;
            lock (gate) output = string.Join('\n', tail);
            var message = new StringBuilder()
                .Append("debootstrap failed with exit code ").Append(process.ExitCode).Append(". Last output:\n").Append(output);
            var log = Path.Combine(rootfs, "debootstrap", "debootstrap.log");
            if (File.Exists(log))
            {
                message.Append("\n\nLast lines of debootstrap.log:\n").Append(string.Join('\n', LastLines(log, TailLines)));
            }
            throw new ImageBuildException(message.ToString());
        }
    }

    private static async Task Pump(StreamReader reader, Action<string> onLine)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) onLine(line);
    }

    // A grandchild that escaped the kill could hold a pipe open; do not hang on it.
    private static Task WaitBriefly(Task pumps) => Task.WhenAny(pumps, Task.Delay(TimeSpan.FromSeconds(5)));

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
        catch (AggregateException)
        {
            // some descendants exited while we walked the tree
        }
    }

    private static IEnumerable<string> LastLines(string path, int count)
    {
        var queue = new Queue<string>(count);
        foreach (var line in File.ReadLines(path))
        {
            if (queue.Count == count) queue.Dequeue();
            queue.Enqueue(line);
        }
        return queue;
    }

    /// <summary>An executable path, or a bare name found in PATH or the sbin directories (debootstrap lives in /usr/sbin).</summary>
    internal static string? Resolve(string exe)
    {
        if (exe.Contains('/')) return File.Exists(exe) ? Path.GetFullPath(exe) : null;
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
