using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Runtime.Host;
using Hive.Egress;
using Hive.Files.Owner;
using Hive.Files.ObjectStores;
using Hive.Runtime.Images;

namespace Hive.Host;

/// <summary>Runs sandboxes on this machine with runc, their traffic steered through the egress service.</summary>
public sealed class LocalSandboxHost(SandboxRuntime runtime, ImageStore images, EgressService egress, SandboxFileSystems files, string caPem,
    DefaultMcpServer mcp, UsageSampler usage, SlotTable slots, FilesDeadline deadline) : ISandboxHost, IDisposable
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

    private readonly HttpMessageInvoker _ingress = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    });

    public IApprovalQueue Approvals => egress.Approvals;

    public void SetSecrets(string sandbox, SandboxSecrets? secrets)
    {
        if (secrets is null) _secrets.TryRemove(sandbox, out _);
        else _secrets[sandbox] = secrets;
        egress.Registry.SetSecrets(sandbox, secrets?.Substitution);
    }

    public IReadOnlyList<string> SecretValues(string sandbox) =>
        _secrets.TryGetValue(sandbox, out var s) ? [.. s.ValuesToRedact] : [];

    /// <summary>The value of a storage secret the host holds for the sandbox's object-store mounts (never into the sandbox).</summary>
    private Func<string, string?> StorageCredential(string sandbox) =>
        name => _secrets.TryGetValue(sandbox, out var s) ? s.Storage.GetValueOrDefault(name) : null;

    private IReadOnlyDictionary<string, string> SecretEnv(string sandbox) =>
        _secrets.TryGetValue(sandbox, out var s) ? s.Env : SandboxSecrets.Empty.Env;

    private Task<IReadOnlySet<string>>? _startup;
    private readonly Lock _startupGate = new();

    /// <summary>
    /// The first call prepares the machine and takes over what a previous process left; a host serving controllers gets
    /// one call per controller (re)start, and those must not touch what runs: they wait for the first and answer which
    /// of the known sandboxes run.
    /// </summary>
    public async Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct)
    {
        Task<IReadOnlySet<string>> first;
        var mine = false;
        lock (_startupGate)
        {
            if (_startup is null)
            {
                _startup = PrepareAsync(known, ct);
                mine = true;
            }
            first = _startup;
        }
        if (mine)
        {
            try { return await first; }
            catch
            {
                lock (_startupGate) _startup = null; // the next controller to connect tries again
                throw;
            }
        }
        await first;
        var running = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in known)
            if (await IsRunningAsync(s, ct)) running.Add(s.Name);
        return running;
    }

    private async Task<IReadOnlySet<string>> PrepareAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct)
    {
        await runtime.InitializeAsync(egress.ProxyPort, egress.DnsPort, ct);
        slots.Retain(known.Select(s => s.Name).ToHashSet(StringComparer.Ordinal));
        var placed = slots.Snapshot();
        var running = await runtime.ReconcileAsync(placed, ct);
        files.ReleaseSessions(running);
        foreach (var s in known)
        {
            if (!running.Contains(s.Name)) continue;
            Register(s.Name, s.Config);
            // The FUSE sessions outlived the old daemon in their holders: take them over (processes working in the
            // mounts carry on); a session that is gone is mounted again, and the mount propagates into the container.
            files.Mount(s.Name, s.Config, Storage, StorageCredential(s.Name));
            usage.Track(s.Name);
        }
        return running;
    }

    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, CancellationToken ct) => Task.FromResult(Check(config));

    /// <summary>The checks above, then every object-store mount's store is asked (off the request thread: it waits on the network).</summary>
    public async Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, IReadOnlyDictionary<string, string> storageCredentials, CancellationToken ct)
    {
        var errors = Check(config);
        if (errors.Count > 0 || !config.Fs.Any(m => m.IsObjectStore)) return errors;
        return await Task.Run(() => files.CheckStores(config, storageCredentials), ct);
    }

    private IReadOnlyList<ConfigError> Check(SandboxConfig config)
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
            if (m.Origin is { } origin && !Directory.Exists(origin))
                errors.Add(new ConfigError($"fs[{i}].origin", $"host directory {origin} does not exist"));
        }
        return errors;
    }

    public async Task StartAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        var c = sandbox.Config;
        var image = images.Find(c.Image) ?? throw new HostException(HostErrorKind.Unprocessable, "Image missing",
            $"image \"{c.Image}\" is no longer on this host; build it with `hive image build {c.Image}`");
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
        Register(sandbox.Name, c);
        try
        {
            var mounts = files.Anchors(sandbox.Name, c).ToList();
            if (mcp.AppliesTo(image))
            {
                (image, var server) = mcp.Apply(image);
                mounts.Add(server);
            }
            var slot = slots.Assign(sandbox.Name);
            var launch = new SandboxLaunch(sandbox.Name, slot, image, env, mounts, c.Resources.Cpus, c.Resources.MemoryMb,
                c.Resources.Pids, RootFiles(runtime.Network.Addressing.For(slot).HostAddress.ToString()));
            // Mounted between create and start: the container's binds are slaves of the bare anchors, so
            // this mount, and any later one after a daemon crash, propagates into it.
            await runtime.StartAsync(launch, () =>
            {
                files.Mount(sandbox.Name, c, Storage, StorageCredential(sandbox.Name));
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

    private void Register(string sandbox, SandboxConfig config) =>
        egress.Registry.Register(sandbox, runtime.Network.Addressing.For(slots.Assign(sandbox)).SandboxAddress, config);

    /// <summary>Bound read-only into the container (<see cref="DaemonFiles"/>); the daemon never writes into its root.</summary>
    private List<RootFile> RootFiles(string resolver) =>
    [
        new("/etc/resolv.conf", _ => $"nameserver {resolver}\noptions ndots:0 attempts:2 timeout:2\n"),
        new(CaPath, _ => caPem),
        // The image's own roots (read from the image, not from what the agent made of it) stay trusted; the daemon's CA is added to them.
        new(TrustBundlePath, existing => existing is null || existing.Contains(caPem, StringComparison.Ordinal)
            ? existing ?? caPem : existing.TrimEnd() + "\n" + caPem),
    ];

    public Task<bool> IsRunningAsync(HostedSandbox sandbox, CancellationToken ct) => runtime.IsRunningAsync(sandbox.Name, ct);

    /// <summary>Port 8080 on the sandbox's side of its veth pair: the host reaches it directly (nft lets only the replies back in).</summary>
    public IngressTarget Ingress(HostedSandbox sandbox) =>
        new(new Uri($"http://{runtime.Network.Addressing.For(slots.Assign(sandbox.Name)).SandboxAddress}:{DefaultMcpServer.Port}/"), _ingress);

    public Task<bool> IngressReadyAsync(HostedSandbox sandbox, TimeSpan limit, CancellationToken ct) =>
        WaitForListenerAsync(Ingress(sandbox).Address, limit, ct);

    private static async Task<bool> WaitForListenerAsync(Uri target, TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(1));
                await socket.ConnectAsync(target.Host, target.Port, attempt.Token);
                return true;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                await Task.Delay(50, ct);
            }
        }
        return false;
    }

    public async Task StopAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        usage.Pause(sandbox.Name);
        egress.Registry.Unregister(sandbox.Name);
        await runtime.StopAsync(sandbox.Name, slots.Find(sandbox.Name), ct);
        files.Unmount(sandbox.Name);
    }

    public async Task DestroyAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        usage.Forget(sandbox.Name);
        egress.Registry.Unregister(sandbox.Name);
        egress.Approvals.FailSandbox(sandbox.Name, $"sandbox {sandbox.Name} was deleted");
        var slot = slots.Find(sandbox.Name);
        await runtime.StopAsync(sandbox.Name, slot, ct);
        files.Unmount(sandbox.Name);
        await runtime.DestroyAsync(sandbox.Name, slot, ct);
        slots.Release(sandbox.Name);
    }

    public async Task ApplyAsync(HostedSandbox sandbox, SandboxConfig proposed, CancellationToken ct)
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

    public Task<ExecOutcome> ExecAsync(HostedSandbox sandbox, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        runtime.ExecAsync(sandbox.Name, AsImageUser(sandbox, spec), onOutput, ct);

    public async Task<ExecOutcome> TerminalAsync(HostedSandbox sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        try
        {
            return await runtime.TerminalAsync(sandbox.Name, AsImageUser(sandbox, spec), size, input, onOutput, ct);
        }
        catch (NoInitException e)
        {
            throw HostException.Conflict(e.Message);
        }
    }

    /// <summary>The command as the image's user, in its working directory, with the secrets' stand-ins in its env.</summary>
    private ExecSpec AsImageUser(HostedSandbox sandbox, ExecSpec spec)
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

    public async Task<FileRead> ReadFileAsync(HostedSandbox sandbox, string path, CancellationToken ct)
    {
        var (target, segments) = ResolveFile(sandbox, path);
        var owner = await OpenOwnerFiles(target, path, ct);
        try
        {
            var (file, listing) = await OwnerFileErrors.Translate(() => owner.ReadAsync(segments, ct));
            // The stream owns the backend from here on; a listing is done with it.
            if (file is not null) return new FileRead(file, null);
            owner.Dispose();
            return new FileRead(null, [.. listing!.Select(e => new FileEntry(e.Name, e.Type, e.Size, e.Mtime))]);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    public async Task WriteFileAsync(HostedSandbox sandbox, string path, Stream content, CancellationToken ct)
    {
        var (target, segments) = ResolveFile(sandbox, path);
        // A write that failed half way changed the file too: the mounts' kernels must not keep the old view (for up to a
        // minute on a volume only one sandbox mounts).
        try
        {
            using var owner = await OpenOwnerFiles(target, path, ct);
            await OwnerFileErrors.Translate(() => owner.WriteAsync(segments, content, ImageUser.DefaultUid, ImageUser.DefaultUid, ct));
        }
        finally
        {
            FileChanged(target, segments);
        }
    }

    public async Task DeleteFileAsync(HostedSandbox sandbox, string path, CancellationToken ct)
    {
        var (target, segments) = ResolveFile(sandbox, path);
        try
        {
            using var owner = await OpenOwnerFiles(target, path, ct);
            await OwnerFileErrors.Translate(() => owner.DeleteAsync(segments, ct));
        }
        finally
        {
            FileChanged(target, segments);
        }
    }

    /// <summary>What the files API works on: a local mount's host directory, or the running mount's object-store backend.</summary>
    private sealed record FileTarget(string? Storage, ObjectStoreBackend? Store);

    private Task<OwnerFiles> OpenOwnerFiles(FileTarget target, string path, CancellationToken ct) =>
        target.Store is { } store
            // Shared with the sandbox's mount, which keeps owning it.
            ? OwnerFileErrors.Translate(() => OwnerFiles.OpenAsync(() => store, path, deadline, ct, owned: false))
            : OwnerFileErrors.Translate(() => OwnerFiles.OpenAsync(target.Storage!, path, deadline, ct));

    /// <summary>The storage behind the mount that holds <paramref name="sandboxPath"/>, and the path's segments inside it.</summary>
    private (FileTarget Target, IReadOnlyList<string> Segments) ResolveFile(HostedSandbox sandbox, string sandboxPath)
    {
        var segments = SandboxPath.Split(sandboxPath);
        // The longest mount that holds the path (a mount may sit inside another).
        foreach (var m in sandbox.Config.Fs.OrderByDescending(m => SandboxPath.Split(m.Mount).Count))
        {
            var mountSegments = SandboxPath.Split(m.Mount);
            if (segments.Count < mountSegments.Count || !segments.Take(mountSegments.Count).SequenceEqual(mountSegments)) continue;
            var inside = segments.Skip(mountSegments.Count).ToList();
            // The owner's API works on the storage itself: recorded, but not subject to the agent's ACLs.
            if (m.Backend == FsBackend.Local) return (new FileTarget(Storage(m), null), inside);
            var store = files.StoreBackend(sandbox.Name, m.Mount)
                ?? throw new HostException(HostErrorKind.Conflict, "Sandbox not running",
                    $"{sandboxPath} is in {m.Mount}, an object-store mount, whose files are served through the sandbox's running mount; start sandbox {sandbox.Name} first");
            return (new FileTarget(null, store), inside);
        }
        var mounts = string.Join(", ", sandbox.Config.Fs.Select(f => f.Mount));
        throw new HostException(HostErrorKind.NotFound, "Not in a mount",
            $"{sandboxPath} is not inside a mount of sandbox {sandbox.Name} (mounts: {(mounts.Length == 0 ? "none" : mounts)})");
    }

    /// <summary>After the files API changed a file: sandboxes that mount its storage stop serving a cached view of it.</summary>
    private void FileChanged(FileTarget target, IReadOnlyList<string> segments)
    {
        if (segments.Count == 0) return;
        if (target.Store is { } store) files.InvalidateStore(store, segments);
        else files.Invalidate(target.Storage!, segments);
    }

    public Task<UsageHistory> UsageAsync(HostedSandbox sandbox, CancellationToken ct) => Task.FromResult(usage.History(sandbox.Name));

    public async Task ShutdownAsync(IReadOnlyList<HostedSandbox> sandboxes, CancellationToken ct)
    {
        foreach (var s in sandboxes) await StopAsync(s, ct);
        await runtime.Network.RemoveTableAsync(ct);
        runtime.RemoveCgroupParents();
    }

    private static string DefaultCwd(ImageInfo? image) => image is { WorkingDir.Length: > 0 } ? image.WorkingDir : "/";

    /// <summary>The host directory that holds a local mount's data: its origin, or its named volume.</summary>
    private string Storage(FsMount m) => m.Origin ?? runtime.EnsureVolume(m.Volume!);

    public void Dispose() => _ingress.Dispose();
}
