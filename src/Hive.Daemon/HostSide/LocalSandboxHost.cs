using System.Collections.Concurrent;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Daemon.Api;
using Hive.Daemon.Store;
using Hive.Runtime.Host;
using Hive.Egress;
using Hive.Runtime.Images;

namespace Hive.Daemon.HostSide;

/// <summary>Runs sandboxes on this machine with runc, their traffic steered through the egress service.</summary>
public sealed class LocalSandboxHost(SandboxRuntime runtime, ImageStore images, EgressService egress, SandboxFileSystems files, string caPem,
    DefaultMcpServer mcp, UsageSampler usage) : ISandboxHost
{
    public const string CaPath = "/etc/hive/ca.pem";
    public const string TrustBundlePath = "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>Every TLS stack the agent may use trusts the daemon's CA without flags.</summary>
    private static readonly Dictionary<string, string> TrustEnv = new()
    {
        ["SSL_CERT_FILE"] = TrustBundlePath,
        ["CURL_CA_BUNDLE"] = TrustBundlePath,
        ["REQUESTS_CA_BUNDLE"] = TrustBundlePath,
        ["NODE_EXTRA_CA_CERTS"] = CaPath,
        ["GIT_SSL_CAINFO"] = TrustBundlePath,
    };

    private readonly ConcurrentDictionary<string, SandboxSecrets> _secrets = new(StringComparer.Ordinal);

    public void SetSecrets(string sandbox, SandboxSecrets? secrets)
    {
        if (secrets is null) _secrets.TryRemove(sandbox, out _);
        else _secrets[sandbox] = secrets;
        egress.Registry.SetSecrets(sandbox, secrets?.Substitution);
    }

    public IReadOnlyList<string> SecretValues(string sandbox) =>
        _secrets.TryGetValue(sandbox, out var s) ? [.. s.Substitution.ValuesToRedact] : [];

    private IReadOnlyDictionary<string, string> SecretEnv(string sandbox) =>
        _secrets.TryGetValue(sandbox, out var s) ? s.Env : SandboxSecrets.Empty.Env;

    public async Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<SandboxRecord> known, CancellationToken ct)
    {
        await runtime.InitializeAsync(egress.ProxyPort, egress.DnsPort, ct);
        var running = await runtime.ReconcileAsync(known.ToDictionary(s => s.Name, s => s.Slot), ct);
        files.ReleaseSessions(running);
        foreach (var s in known)
        {
            if (!running.Contains(s.Name)) continue;
            Register(s, s.Config);
            // The FUSE sessions outlived the old daemon in their holders: take them over (processes working in the
            // mounts carry on); a session that is gone is mounted again, and the mount propagates into the container.
            files.Mount(s.Name, s.Config, Storage);
            usage.Track(s.Name);
        }
        return running;
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

    public async Task StartAsync(SandboxRecord sandbox, CancellationToken ct)
    {
        var c = sandbox.Config;
        var image = images.Find(c.Image) ?? throw new ApiProblem(422, "Image missing", $"image \"{c.Image}\" is no longer on this host; build it with `hive image build {c.Image}`");
        var env = new Dictionary<string, string>(TrustEnv);
        foreach (var (k, v) in c.Env) env[k] = v;
        // Stand-ins only: the real values never enter the sandbox.
        foreach (var (k, v) in SecretEnv(sandbox.Name)) env[k] = v;
        if (await runtime.IsRunningAsync(sandbox.Name, ct))
        {
            usage.Track(sandbox.Name);
            return;
        }
        // Registered and mounted before the container runs, so its first packet and first file access already meet policy.
        Register(sandbox, c);
        try
        {
            var mounts = files.Anchors(sandbox.Name, c).ToList();
            if (mcp.AppliesTo(image))
            {
                (image, var server) = mcp.Apply(image);
                mounts.Add(server);
            }
            var launch = new SandboxLaunch(sandbox.Name, sandbox.Slot, image, env, mounts, c.Resources.Cpus, c.Resources.MemoryMb,
                c.Resources.Pids, RootFiles(runtime.Network.Addressing.For(sandbox.Slot).HostAddress.ToString()));
            // Mounted between create and start: the container's binds are slaves of the bare anchors, so
            // this mount, and any later one after a daemon crash, propagates into it.
            await runtime.StartAsync(launch, () =>
            {
                files.Mount(sandbox.Name, c, Storage);
                return Task.CompletedTask;
            }, ct);
            usage.Track(sandbox.Name);
        }
        catch
        {
            egress.Registry.Unregister(sandbox.Name);
            files.Unmount(sandbox.Name);
            throw;
        }
    }

    private void Register(SandboxRecord sandbox, SandboxConfig config) =>
        egress.Registry.Register(sandbox.Name, runtime.Network.Addressing.For(sandbox.Slot).SandboxAddress, config);

    /// <summary>Bound read-only into the container (<see cref="DaemonFiles"/>); the daemon never writes into its root.</summary>
    private List<RootFile> RootFiles(string resolver) =>
    [
        new("/etc/resolv.conf", _ => $"nameserver {resolver}\noptions ndots:0 attempts:2 timeout:2\n"),
        new(CaPath, _ => caPem),
        // The image's own roots (read from the image, not from what the agent made of it) stay trusted; the daemon's CA is added to them.
        new(TrustBundlePath, existing => existing is null || existing.Contains(caPem, StringComparison.Ordinal)
            ? existing ?? caPem : existing.TrimEnd() + "\n" + caPem),
    ];

    public Task<bool> IsRunningAsync(SandboxRecord sandbox, CancellationToken ct) => runtime.IsRunningAsync(sandbox.Name, ct);

    /// <summary>Port 8080 on the sandbox's side of its veth pair: the host reaches it directly (nft lets only the replies back in).</summary>
    public Uri IngressAddress(SandboxRecord sandbox) =>
        new($"http://{runtime.Network.Addressing.For(sandbox.Slot).SandboxAddress}:{DefaultMcpServer.Port}/");

    public async Task StopAsync(SandboxRecord sandbox, CancellationToken ct)
    {
        usage.Pause(sandbox.Name);
        egress.Registry.Unregister(sandbox.Name);
        await runtime.StopAsync(sandbox.Name, sandbox.Slot, ct);
        files.Unmount(sandbox.Name);
    }

    public async Task DestroyAsync(SandboxRecord sandbox, CancellationToken ct)
    {
        usage.Forget(sandbox.Name);
        egress.Registry.Unregister(sandbox.Name);
        await runtime.StopAsync(sandbox.Name, sandbox.Slot, ct);
        files.Unmount(sandbox.Name);
        await runtime.DestroyAsync(sandbox.Name, sandbox.Slot, ct);
    }

    public async Task ApplyAsync(SandboxRecord sandbox, SandboxConfig proposed, CancellationToken ct)
    {
        if (proposed.Resources != sandbox.Config.Resources && await runtime.IsRunningAsync(sandbox.Name, ct))
        {
            var r = proposed.Resources;
            await runtime.UpdateResourcesAsync(sandbox.Name, r.Cpus, r.MemoryMb, r.Pids, ct);
        }
        // New DNS queries, connections and requests use the new rules; requests already forwarded finish.
        egress.Registry.Update(sandbox.Name, proposed);
        files.UpdateAcls(sandbox.Name, proposed);
    }

    public Task<ExecOutcome> ExecAsync(SandboxRecord sandbox, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        runtime.ExecAsync(sandbox.Name, AsImageUser(sandbox, spec), onOutput, ct);

    public async Task<ExecOutcome> TerminalAsync(SandboxRecord sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        try
        {
            return await runtime.TerminalAsync(sandbox.Name, AsImageUser(sandbox, spec), size, input, onOutput, ct);
        }
        catch (NoInitException e)
        {
            throw ApiProblem.Conflict(e.Message);
        }
    }

    /// <summary>The command as the image's user, in its working directory, with the secrets' stand-ins in its env.</summary>
    private ExecSpec AsImageUser(SandboxRecord sandbox, ExecSpec spec)
    {
        var image = images.Find(sandbox.Config.Image);
        var (uid, gid) = image is null ? (ImageUser.DefaultUid, ImageUser.DefaultUid) : ImageUser.Resolve(image.User, image.RootFs);
        // Bindings made since the container started reach new processes; the caller's env wins.
        var secretEnv = SecretEnv(sandbox.Name);
        var env = spec.Env;
        if (secretEnv.Count > 0)
        {
            var merged = new Dictionary<string, string>(secretEnv, StringComparer.Ordinal);
            foreach (var (k, v) in spec.Env ?? new Dictionary<string, string>()) merged[k] = v;
            env = merged;
        }
        return spec with { Uid = uid, Gid = gid, Cwd = spec.Cwd ?? DefaultCwd(image), Env = env };
    }

    public (string Storage, IReadOnlyList<string> Segments, int Uid, int Gid) ResolveFile(SandboxRecord sandbox, string sandboxPath)
    {
        var segments = SandboxPath.Split(sandboxPath);
        foreach (var m in sandbox.Config.Fs.Where(m => m.Backend == FsBackend.Local))
        {
            var mountSegments = SandboxPath.Split(m.Mount);
            if (segments.Count < mountSegments.Count || !segments.Take(mountSegments.Count).SequenceEqual(mountSegments)) continue;
            // The owner's API works on the storage itself: recorded, but not subject to the agent's ACLs.
            return (Storage(m), segments.Skip(mountSegments.Count).ToList(), ImageUser.DefaultUid, ImageUser.DefaultUid);
        }
        var mounts = string.Join(", ", sandbox.Config.Fs.Select(f => f.Mount));
        throw new ApiProblem(404, "Not in a mount", $"{sandboxPath} is not inside a mount of sandbox {sandbox.Name} (mounts: {(mounts.Length == 0 ? "none" : mounts)})");
    }

    public void FileChanged(SandboxRecord sandbox, string sandboxPath)
    {
        var segments = SandboxPath.Split(sandboxPath);
        foreach (var m in sandbox.Config.Fs.Where(m => m.Backend == FsBackend.Local))
        {
            var mountSegments = SandboxPath.Split(m.Mount);
            if (segments.Count <= mountSegments.Count || !segments.Take(mountSegments.Count).SequenceEqual(mountSegments)) continue;
            files.Invalidate(Storage(m), [.. segments.Skip(mountSegments.Count)]);
            return;
        }
    }

    public UsageHistory Usage(SandboxRecord sandbox) => usage.History(sandbox.Name);

    public async Task ShutdownAsync(IReadOnlyList<SandboxRecord> sandboxes, CancellationToken ct)
    {
        foreach (var s in sandboxes) await StopAsync(s, ct);
        await runtime.Network.RemoveTableAsync(ct);
        runtime.RemoveCgroupParents();
    }

    private static string DefaultCwd(ImageInfo? image) => image is { WorkingDir.Length: > 0 } ? image.WorkingDir : "/";

    /// <summary>The host directory that holds a local mount's data: its origin, or its named volume.</summary>
    private string Storage(FsMount m) => m.Origin ?? runtime.EnsureVolume(m.Volume!);
}
