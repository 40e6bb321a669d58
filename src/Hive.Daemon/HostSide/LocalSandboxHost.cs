using Hive.Core.Config;
using Hive.Daemon.Api;
using Hive.Daemon.Store;
using Hive.Runtime.Host;
using Hive.Runtime.Images;

namespace Hive.Daemon.HostSide;

/// <summary>Runs sandboxes on this machine with runc.</summary>
public sealed class LocalSandboxHost(SandboxRuntime runtime, ImageStore images) : ISandboxHost
{
    public async Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<SandboxRecord> known, CancellationToken ct)
    {
        await runtime.InitializeAsync(ct);
        return await runtime.ReconcileAsync(known.ToDictionary(s => s.Name, s => s.Slot), ct);
    }

    public IReadOnlyList<ConfigError> Check(SandboxConfig config)
    {
        var errors = new List<ConfigError>();
        if (images.Find(config.Image) is null)
        {
            var known = string.Join(", ", images.List().Select(i => i.Name));
            errors.Add(new ConfigError("image", $"no image \"{config.Image}\" on this host (have: {(known.Length == 0 ? "none" : known)}); build it with `hive image build {config.Image}`"));
        }
        for (var i = 0; i < config.Fs.Count; i++)
        {
            var m = config.Fs[i];
            if (m.Backend != FsBackend.Local)
                errors.Add(new ConfigError($"fs[{i}].backend", "only the local backend is available on this host"));
            else if (m.Origin is { } origin && !Directory.Exists(origin))
                errors.Add(new ConfigError($"fs[{i}].origin", $"host directory {origin} does not exist"));
        }
        return errors;
    }

    public Task StartAsync(SandboxRecord sandbox, CancellationToken ct)
    {
        var c = sandbox.Config;
        var image = images.Find(c.Image) ?? throw new ApiProblem(422, "Image missing", $"image \"{c.Image}\" is no longer on this host; build it with `hive image build {c.Image}`");
        var launch = new SandboxLaunch(sandbox.Name, sandbox.Slot, image, c.Env, Mounts(c), c.Resources.Cpus, c.Resources.MemoryMb, c.Resources.Pids);
        return runtime.StartAsync(launch, ct);
    }

    public Task<bool> IsRunningAsync(SandboxRecord sandbox, CancellationToken ct) => runtime.IsRunningAsync(sandbox.Name, ct);

    public Task StopAsync(SandboxRecord sandbox, CancellationToken ct) => runtime.StopAsync(sandbox.Name, sandbox.Slot, ct);

    public Task DestroyAsync(SandboxRecord sandbox, CancellationToken ct) => runtime.DestroyAsync(sandbox.Name, sandbox.Slot, ct);

    public async Task ApplyAsync(SandboxRecord sandbox, SandboxConfig proposed, CancellationToken ct)
    {
        if (proposed.Resources != sandbox.Config.Resources && await runtime.IsRunningAsync(sandbox.Name, ct))
        {
            var r = proposed.Resources;
            await runtime.UpdateResourcesAsync(sandbox.Name, r.Cpus, r.MemoryMb, r.Pids, ct);
        }
        // Egress rules and ACLs are read live from the config by the proxy and the file system.
    }

    public Task<ExecOutcome> ExecAsync(SandboxRecord sandbox, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        var image = images.Find(sandbox.Config.Image);
        var (uid, gid) = image is null ? (ImageUser.DefaultUid, ImageUser.DefaultUid) : ImageUser.Resolve(image.User, image.RootFs);
        return runtime.ExecAsync(sandbox.Name, spec with { Uid = uid, Gid = gid, Cwd = spec.Cwd ?? DefaultCwd(image) }, onOutput, ct);
    }

    public (SafeDirectory Storage, IReadOnlyList<string> Segments, int Uid, int Gid) ResolveFile(SandboxRecord sandbox, string sandboxPath)
    {
        var segments = SandboxPath.Split(sandboxPath);
        foreach (var m in Mounts(sandbox.Config))
        {
            var mountSegments = SandboxPath.Split(m.Destination);
            if (segments.Count < mountSegments.Count || !segments.Take(mountSegments.Count).SequenceEqual(mountSegments)) continue;
            Directory.CreateDirectory(m.Source);
            return (new SafeDirectory(m.Source), segments.Skip(mountSegments.Count).ToList(), ImageUser.DefaultUid, ImageUser.DefaultUid);
        }
        var mounts = string.Join(", ", sandbox.Config.Fs.Select(f => f.Mount));
        throw new ApiProblem(404, "Not in a mount", $"{sandboxPath} is not inside a mount of sandbox {sandbox.Name} (mounts: {(mounts.Length == 0 ? "none" : mounts)})");
    }

    public async Task ShutdownAsync(IReadOnlyList<SandboxRecord> sandboxes, CancellationToken ct)
    {
        foreach (var s in sandboxes) await runtime.StopAsync(s.Name, s.Slot, ct);
        await runtime.Network.RemoveTableAsync(ct);
        runtime.RemoveCgroupParents();
    }

    private static string DefaultCwd(ImageInfo? image) => image is { WorkingDir.Length: > 0 } ? image.WorkingDir : "/";

    private List<MountPlan> Mounts(SandboxConfig c)
    {
        var list = new List<MountPlan>();
        foreach (var m in c.Fs)
        {
            if (m.Backend != FsBackend.Local) continue;
            var source = m.Origin ?? runtime.EnsureVolume(m.Volume!);
            list.Add(new MountPlan(m.Mount, source, ReadOnly: false));
        }
        return list;
    }
}
