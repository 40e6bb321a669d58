using System.Text.Json;
using Hive.Runtime.Network;
using Hive.Runtime.Oci;

namespace Hive.Runtime.Host;

/// <summary>
/// Runs sandboxes on this host: overlay root, network namespace, OCI bundle, runc. Every step is
/// idempotent so that starting a half-created sandbox, or cleaning one after a crash, just works.
/// </summary>
public sealed class SandboxRuntime(HostPaths paths, Runc runc, NetworkSetup network, SandboxInit init)
{
    public SandboxInit Init => init;

    public HostPaths Paths => paths;
    public NetworkSetup Network => network;

    public Task InitializeAsync(int proxyPort, int dnsPort, CancellationToken ct)
    {
        Directory.CreateDirectory(paths.Sandboxes);
        Directory.CreateDirectory(paths.Volumes);
        Directory.CreateDirectory(paths.RuncRoot);
        return network.InstallTableAsync(proxyPort, dnsPort, ct);
    }

    /// <param name="beforeStart">Runs between `runc create` and `runc start`: mounts made then on the
    /// anchors of <see cref="SandboxLaunch.Mounts"/> propagate into the container.</param>
    public async Task StartAsync(SandboxLaunch launch, Func<Task>? beforeStart, CancellationToken ct)
    {
        var name = launch.Name;
        if (await IsRunningAsync(name, ct)) return;
        // Clear whatever a failed start, a stop or a crash left behind; a brand-new sandbox has nothing to clear.
        if (Directory.Exists(paths.SandboxDir(name)) || runc.HasState(name)) await StopAsync(name, launch.Slot, ct);
        try
        {
            Mounts.MountOverlay(launch.Image.RootFs, paths.Upper(name), paths.Work(name), paths.RootFs(name));
            // Nothing is written, made or changed inside the root from here: the agent may have planted symlinks
            // anywhere in it. runc makes every mount point itself, resolving paths within the root (securejoin).
            var files = DaemonFiles.Prepare(paths.Files(name), launch.Image.RootFs, launch.Files);
            var net = network.Addressing.For(launch.Slot);
            await network.CreateLinksAsync(net, ct);
            var spec = BuildSpec(launch, net, files);
            if (init.Binary is not null)
            {
                // Root-only: the daemon reaches hive-init's socket here, the agent (inside, another uid) cannot.
                var control = paths.InitDir(name);
                Directory.CreateDirectory(control);
                File.SetUnixFileMode(control, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                spec = init.Wrap(spec, control);
            }
            await File.WriteAllTextAsync(Path.Combine(paths.Bundle(name), "config.json"),
                OciSpecBuilder.Build(spec).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
            // Nothing in the container runs before start: its addresses and route are set while runc creates it.
            await Task.WhenAll(runc.CreateAsync(name, paths.Bundle(name), paths.Log(name), ct), network.ConfigureInsideAsync(net, ct));
            if (beforeStart is not null) await beforeStart();
            await runc.StartAsync(name, ct);
        }
        catch
        {
            await StopAsync(name, launch.Slot, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Cheap check on the hot path (every exec): the init process runc recorded is alive. Spawning
    /// `runc state` would cost a process start per exec.
    /// </summary>
    public Task<bool> IsRunningAsync(string name, CancellationToken ct)
    {
        var pidFile = Path.Combine(paths.Bundle(name), "init.pid");
        if (!runc.HasState(name) || !File.Exists(pidFile)) return Task.FromResult(false);
        return Task.FromResult(int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && pid > 0 && Directory.Exists($"/proc/{pid}")
            && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal));
    }

    /// <summary>Stops the container and releases its network (when it has a slot) and root mount; keeps its upper dir.</summary>
    public async Task StopAsync(string name, int? slot, CancellationToken ct)
    {
        if (runc.HasState(name))
        {
            await runc.KillAsync(name, "KILL", ct);
            await runc.DeleteAsync(name, ct);
        }
        if (slot is { } s) await network.RemoveAsync(network.Addressing.For(s), ct);
        Mounts.UnmountAll(paths.Bundle(name));
    }

    /// <summary>Stops the sandbox and deletes everything of it but its volumes.</summary>
    public async Task DestroyAsync(string name, int? slot, CancellationToken ct)
    {
        await StopAsync(name, slot, ct);
        DeleteDirectory(paths.SandboxDir(name));
    }

    /// <summary>The directory of a named volume, created (owned by the agent user) on first use.</summary>
    public string EnsureVolume(string volume)
    {
        var dir = paths.Volume(volume);
        if (Directory.Exists(dir)) return dir;
        Directory.CreateDirectory(dir);
        Libc.Chown(dir, ImageUser.DefaultUid, ImageUser.DefaultUid);
        return dir;
    }

    /// <summary>Through the sandbox's hive-init; a container started without it (by an older daemon, adopted) gets <c>runc exec</c>.</summary>
    public Task<ExecOutcome> ExecAsync(string name, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        Directory.Exists(paths.InitDir(name))
            ? InitExec.RunAsync(Path.Combine(paths.InitDir(name), SandboxInit.SocketName), spec, onOutput, ct)
            : ExecRunner.RunAsync(runc, name, spec, onOutput, ct);

    /// <summary>A command under a pseudo-terminal, through the sandbox's hive-init (a container started without one cannot have it).</summary>
    public Task<ExecOutcome> TerminalAsync(string name, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        Directory.Exists(paths.InitDir(name))
            ? InitTerminal.RunAsync(Path.Combine(paths.InitDir(name), SandboxInit.SocketName), spec, size, input, onOutput, ct)
            : throw new NoInitException($"sandbox {name} was started by an older daemon without hive-init: stop and start it to open a terminal");

    public Task UpdateResourcesAsync(string name, double cpus, int memoryMb, int pids, CancellationToken ct) =>
        runc.UpdateAsync(name, OciSpecBuilder.Resources(cpus, memoryMb, pids).ToJsonString(), ct);

    /// <summary>
    /// Makes the host agree with the store after a crash: containers, namespaces, veths, mounts and
    /// directories that belong to no known sandbox are removed. Returns the known sandboxes whose
    /// containers still run (they are adopted as they are).
    /// </summary>
    public async Task<IReadOnlySet<string>> ReconcileAsync(IReadOnlyDictionary<string, int> known, CancellationToken ct)
    {
        var running = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in await runc.ListAsync(ct))
        {
            if (known.ContainsKey(c.Id) && c.Status == "running") { running.Add(c.Id); continue; }
            await runc.KillAsync(c.Id, "KILL", ct);
            await runc.DeleteAsync(c.Id, ct);
        }
        var liveNamespaces = new HashSet<string>(StringComparer.Ordinal);
        var liveVeths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in running)
        {
            var net = network.Addressing.For(known[name]);
            liveNamespaces.Add(net.Namespace);
            liveVeths.Add(net.HostVeth);
        }
        foreach (var ns in await network.ListNamespacesAsync(ct))
            if (!liveNamespaces.Contains(ns)) await NetworkSetup.DeleteNamespaceAsync(ns, ct);
        foreach (var veth in await network.ListVethsAsync(ct))
            if (!liveVeths.Contains(veth)) await NetworkSetup.DeleteLinkAsync(veth, ct);
        if (Directory.Exists(paths.Sandboxes))
        {
            foreach (var dir in Directory.GetDirectories(paths.Sandboxes))
            {
                var name = Path.GetFileName(dir);
                if (running.Contains(name)) continue;
                Mounts.UnmountAll(dir);
                if (!known.ContainsKey(name)) DeleteDirectory(dir);
            }
        }
        return running;
    }

    private static bool IsUnder(string path, string mount) =>
        path == mount || path.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>The cgroup under which runc puts this daemon's containers, in every hierarchy.</summary>
    private string CgroupParent => $"hive-{network.TableName["hive_".Length..]}";

    private string CgroupsPath(string name) => $"/{CgroupParent}/{name}";

    /// <summary>The sandbox's cgroup usage now, or null when it has no cgroup (not running).</summary>
    public CgroupReading? ReadUsage(string name) => CgroupUsage.Read(CgroupsPath(name));

    /// <summary>Removes this daemon's (empty) parent cgroups; runc removes the containers' own.</summary>
    public void RemoveCgroupParents()
    {
        if (!Directory.Exists("/sys/fs/cgroup")) return;
        foreach (var hierarchy in Directory.GetDirectories("/sys/fs/cgroup"))
        {
            var dir = Path.Combine(hierarchy, CgroupParent);
            try { if (Directory.Exists(dir)) Directory.Delete(dir); }
            catch (IOException) { } // still in use by a container that outlives us
        }
    }

    private ContainerSpec BuildSpec(SandboxLaunch launch, SandboxNetwork net, IReadOnlyList<MountPlan> files)
    {
        var image = launch.Image;
        var (uid, gid) = ImageUser.Resolve(image.User, image.RootFs);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in image.Env)
        {
            var i = kv.IndexOf('=');
            if (i > 0) env[kv[..i]] = kv[(i + 1)..];
        }
        env["HIVE_SANDBOX"] = launch.Name;
        // What runc would set for the image's user; set here because the container's process may be hive-init, as root.
        if (!env.ContainsKey("HOME")) env["HOME"] = ImageUser.Home(uid, image.RootFs);
        foreach (var (k, v) in launch.Env) env[k] = v;
        var args = image.Entrypoint.Concat(image.Cmd).ToList();
        if (args.Count == 0) throw new InvalidOperationException($"image {image.Name} has neither Entrypoint nor Cmd");
        return new ContainerSpec
        {
            Hostname = launch.Name,
            RootFs = paths.RootFs(launch.Name),
            Args = args,
            Env = env.Select(kv => $"{kv.Key}={kv.Value}").ToList(),
            // The init is set up before the file systems are mounted on the anchors, so it must not start
            // inside one (it would sit below the mount); exec'd commands get the image's working dir.
            Cwd = string.IsNullOrEmpty(image.WorkingDir) || launch.Mounts.Any(m => IsUnder(image.WorkingDir, m.Destination)) ? "/" : image.WorkingDir,
            Uid = uid,
            Gid = gid,
            NetworkNamespacePath = net.NamespacePath,
            CgroupsPath = CgroupsPath(launch.Name),
            // The daemon's files come last: they land on top of a mount of the agent's that would cover them.
            Binds = launch.Mounts.Concat(files).Select(m => new BindMount(m.Source, m.Destination, m.ReadOnly)).ToList(),
            Cpus = launch.Cpus,
            MemoryMb = launch.MemoryMb,
            Pids = launch.Pids,
            OpenFilesHard = Math.Min(ContainerSpec.DefaultOpenFilesHard, Libc.OpenFilesHardLimit()),
        };
    }

    private static void DeleteDirectory(string dir)
    {
        if (!Directory.Exists(dir)) return;
        Mounts.UnmountAll(dir);
        Directory.Delete(dir, recursive: true);
    }
}
