using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Hive.Core.Events;
using Hive.Core;
using Hive.Core.Config;
using Hive.Daemon.Api;
using Hive.Daemon.Events;
using Hive.Daemon.Secrets;
using Hive.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace Hive.Daemon.Sandboxes;

/// <summary>The result of an apply, as <c>PUT …/config</c> returns it.</summary>
public sealed record ApplyResult(bool Applied, SandboxConfig Config, IReadOnlyList<string> Changes, IReadOnlyList<string> Warnings);

/// <summary>
/// The controller: sandbox lifecycle, config apply, exec and TTL, with the store as the truth and the
/// host (through <see cref="ISandboxHost"/>) made to follow it. One lifecycle lock per sandbox name.
/// </summary>
/// <param name="clock">Wall time for the TTL's idle times (they are compared across controllers through the store).</param>
public sealed class SandboxManager(IHiveStore store, EventBus events, ISandboxHost host, SecretService secrets, int capacity, ILogger<SandboxManager> log,
    TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _lifecycle = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _apply = new(StringComparer.Ordinal);
    /// <summary>When this controller last saw each sandbox used (Unix ms), and which of those the store has not heard of yet.</summary>
    private readonly ConcurrentDictionary<string, long> _lastActive = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _unshared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _busy = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _startedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _deleting = new(StringComparer.Ordinal);

    public async Task StartupAsync(CancellationToken ct)
    {
        var known = store.ListSandboxes();
        // Adopted sandboxes meet their secret bindings from their first request after the restart.
        secrets.RefreshAll();
        var running = await host.StartupAsync([.. known.Select(Hosted)], ct);
        foreach (var s in known)
        {
            Touch(s.Name);
            if (running.Contains(s.Name))
            {
                if (s.Status != SandboxStatus.Running) store.UpdateSandbox(s.Name, SandboxStatus.Running);
                log.LogInformation("adopted running sandbox {Name}", s.Name);
            }
            else if (s.Status is SandboxStatus.Running or SandboxStatus.Creating)
            {
                store.UpdateSandbox(s.Name, SandboxStatus.Stopped, s.Status == SandboxStatus.Creating ? "creation was interrupted" : null);
                events.Append(s.Name, EventTypes.SandboxStopped, new JsonObject { ["image"] = s.Config.Image, ["reason"] = "not running after daemon restart" });
            }
        }
    }

    public IReadOnlyList<SandboxRecord> List() => store.ListSandboxes();

    public SandboxRecord Get(string name)
    {
        CheckName(name);
        return store.FindSandbox(name)
            ?? throw ApiProblem.NotFound($"sandbox \"{name}\" does not exist");
    }

    /// <summary>Creates the sandbox if it does not exist (true) or returns it, started, as it is (false).</summary>
    public async Task<(SandboxRecord Sandbox, bool Created)> GetOrCreateAsync(string name, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        CheckName(name);
        var parsed = ConfigParser.Parse(body.Span, name);
        if (!parsed.Ok) throw ApiProblem.Invalid(parsed.Errors);
        var gate = _lifecycle.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            Touch(name);
            if (Find(name) is { } existing) return (await EnsureRunningAsync(existing, ct), false);
            var config = parsed.Config!;
            var problems = await host.CheckAsync(config, secrets.StorageCredentials(name, config), ct);
            if (problems.Count > 0) throw ApiProblem.Invalid(problems);
            var record = store.InsertSandbox(name, config, DateTimeOffset.UtcNow, capacity)!;
            secrets.OnCreated(record);
            events.Append(name, EventTypes.SandboxCreated, new JsonObject { ["image"] = config.Image });
            try
            {
                return (await StartRecordAsync(record, ct), true);
            }
            catch (HostException e)
            {
                // No host could run it now (cluster mode: none live or all full): it stays, failed; a retry starts it.
                store.UpdateSandbox(name, SandboxStatus.Failed, e.Message);
                events.Append(name, EventTypes.SandboxStopped, new JsonObject { ["image"] = config.Image, ["reason"] = "failed to start", ["error"] = e.Message });
                throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        var gate = _lifecycle.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var s = Get(name);
            _deleting[name] = 0;
            await host.DestroyAsync(Hosted(s), CancellationToken.None);
            store.DeleteSandbox(name);
            secrets.OnDestroyed(name);
            _lastActive.TryRemove(name, out _);
            _unshared.TryRemove(name, out _);
            events.Append(name, EventTypes.SandboxDestroyed, new JsonObject { ["image"] = s.Config.Image });
        }
        finally
        {
            _deleting.TryRemove(name, out _);
            gate.Release();
        }
    }

    public Task<ApplyResult> ApplyConfigAsync(string name, ReadOnlyMemory<byte> body, CancellationToken ct) =>
        ApplyConfigAsync(name, _ => body, ct);

    /// <summary>Applies the body <paramref name="edit"/> makes of the current config, read under the apply lock (an approval's added rule).</summary>
    public async Task<ApplyResult> ApplyConfigAsync(string name, Func<SandboxConfig, ReadOnlyMemory<byte>> edit, CancellationToken ct)
    {
        CheckName(name);
        var gate = _apply.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(0, ct)) throw ApiProblem.Conflict($"another config apply for sandbox \"{name}\" is in progress; retry when it finishes");
        // The lifecycle lock too: a stop, start or delete must not run between reading the sandbox and storing its new config.
        var lifecycle = _lifecycle.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        try
        {
            await lifecycle.WaitAsync(ct);
        }
        catch
        {
            gate.Release();
            throw;
        }
        try
        {
            var current = Get(name);
            Touch(name);
            var parsed = ConfigParser.Parse(edit(current.Config).Span, name);
            if (!parsed.Ok) throw Failed(name, ApiProblem.Invalid(parsed.Errors));
            var (proposed, placeholders) = RedactedValues.Restore(current.Config, parsed.Config!);
            if (placeholders.Count > 0) throw Failed(name, ApiProblem.Invalid(placeholders));
            var comparison = ConfigDiff.Compare(current.Config, proposed);
            if (comparison.ImmutableViolations.Count > 0) throw Failed(name, ApiProblem.Unprocessable(comparison.ImmutableViolations));
            var problems = await host.CheckAsync(proposed, secrets.StorageCredentials(name, proposed), ct);
            if (problems.Count > 0) throw Failed(name, ApiProblem.Invalid(problems));
            await host.ApplyAsync(Hosted(current), proposed, ct);
            store.UpdateSandboxConfig(name, proposed);
            // Added bindings work from the next request (and in new exec processes); removed ones are refused from then on.
            secrets.Refresh(current with { Config = proposed });
            events.Append(name, EventTypes.ConfigApply, new JsonObject { ["success"] = true, ["changes"] = Strings(comparison.Changes) });
            var warnings = new List<string>(secrets.Warnings(name, proposed));
            return new ApplyResult(true, proposed, comparison.Changes, warnings);
        }
        finally
        {
            lifecycle.Release();
            gate.Release();
        }
    }

    public Task<ExecOutcome> ExecAsync(string name, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        RecordedAsync(name, spec, terminal: false, sandbox => host.ExecAsync(Hosted(sandbox), spec, onOutput, ct), ct);

    /// <summary>A command under a pseudo-terminal (see <see cref="ISandboxHost.TerminalAsync"/>), recorded as any command is.</summary>
    public Task<ExecOutcome> TerminalAsync(string name, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        RecordedAsync(name, spec, terminal: true, sandbox => host.TerminalAsync(Hosted(sandbox), spec, size, input, onOutput, ct), ct);

    private async Task<ExecOutcome> RecordedAsync(string name, ExecSpec spec, bool terminal, Func<SandboxRecord, Task<ExecOutcome>> run, CancellationToken ct)
    {
        var sandbox = await StartIfStoppedAsync(name, ct);
        var fields = new JsonObject { ["command"] = Strings(spec.Command), ["cwd"] = spec.Cwd };
        if (terminal) fields["terminal"] = true;
        var request = events.Append(name, EventTypes.ExecRequest, fields);
        _busy.AddOrUpdate(name, 1, (_, n) => n + 1);
        ExecOutcome? outcome = null;
        try
        {
            outcome = await run(sandbox);
            return outcome;
        }
        catch (Exception e) when (e is not ApiProblem and not HostException && !ct.IsCancellationRequested)
        {
            if (await GoneAsync(name, e) is { } gone) throw gone;
            throw;
        }
        finally
        {
            _busy.AddOrUpdate(name, 0, (_, n) => n - 1);
            Touch(name);
            events.Append(name, EventTypes.ExecResponse, new JsonObject
            {
                ["requestId"] = request.Id,
                ["exitCode"] = outcome?.ExitCode,
                ["durationMs"] = outcome?.DurationMs,
                ["timedOut"] = outcome?.TimedOut ?? false,
                ["cancelled"] = outcome is null,
            });
        }
    }

    /// <summary>
    /// When a command failed because its sandbox was deleted (410) or stopped (409) under it, the problem to answer
    /// with; null when the sandbox is still there and running (a real failure).
    /// </summary>
    private async Task<ApiProblem?> GoneAsync(string name, Exception failure)
    {
        if (_deleting.ContainsKey(name) || Find(name) is null)
            return new ApiProblem(410, "Gone", $"sandbox \"{name}\" was deleted while the command ran");
        var s = Find(name);
        bool running;
        try
        {
            running = s is { Status: SandboxStatus.Running } && await host.IsRunningAsync(Hosted(s), CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            running = false;
        }
        if (running) return null;
        log.LogInformation(failure, "exec in {Name} ended because the sandbox stopped", name);
        return ApiProblem.Conflict($"sandbox \"{name}\" stopped while the command ran; run it again to start the sandbox");
    }

    /// <summary>The owner's files API (not subject to the agent's ACLs): a file's bytes or a directory's entries.</summary>
    public Task<FileRead> ReadFileAsync(string name, string path, CancellationToken ct) => host.ReadFileAsync(ForFiles(name, path), path, ct);

    public Task WriteFileAsync(string name, string path, Stream content, CancellationToken ct) => host.WriteFileAsync(ForFiles(name, path), path, content, ct);

    public Task DeleteFileAsync(string name, string path, CancellationToken ct) => host.DeleteFileAsync(ForFiles(name, path), path, ct);

    private HostedSandbox ForFiles(string name, string path)
    {
        CheckFilePath(path);
        Touch(name);
        return Hosted(Get(name));
    }

    /// <summary>The sandbox's record and the CPU, memory and task samples its host kept.</summary>
    public async Task<(SandboxRecord Sandbox, UsageHistory Usage)> UsageAsync(string name, CancellationToken ct)
    {
        var s = Get(name);
        return (s, await host.UsageAsync(Hosted(s), ct));
    }

    /// <summary>
    /// Stops running sandboxes idle for longer than their TTL. Called once a second (by the leader, when several
    /// controllers share a database). A sandbox's last use is the later of what this controller saw and what every
    /// controller reported to the store (<see cref="ShareActivity"/>), so one used only through another controller is not idle.
    /// </summary>
    public async Task ExpireIdleAsync(CancellationToken ct)
    {
        var now = Now();
        foreach (var s in store.ListSandboxes())
        {
            if (s.Config.Ttl <= 0 || s.Status != SandboxStatus.Running) continue;
            if (_busy.TryGetValue(s.Name, out var busy) && busy > 0) continue;
            long? seen = _lastActive.TryGetValue(s.Name, out var local) ? local : null;
            if (s.LastActive is { } shared) seen = Math.Max(seen ?? 0, shared.ToUnixTimeMilliseconds());
            if (seen is not { } last)
            {
                Touch(s.Name); // never seen used by anyone: idle from now on
                continue;
            }
            if (now - last < s.Config.Ttl * 1000L) continue;
            var gate = _lifecycle.GetOrAdd(s.Name, _ => new SemaphoreSlim(1, 1));
            if (!await gate.WaitAsync(0, ct)) continue;
            try
            {
                await host.StopAsync(Hosted(s), ct);
                store.UpdateSandbox(s.Name, SandboxStatus.Stopped);
                events.Append(s.Name, EventTypes.SandboxExpired, new JsonObject { ["image"] = s.Config.Image, ["ttl"] = s.Config.Ttl });
                events.Append(s.Name, EventTypes.SandboxStopped, new JsonObject { ["image"] = s.Config.Image, ["reason"] = "ttl" });
            }
            finally
            {
                gate.Release();
            }
        }
    }

    public async Task ShutdownAsync(CancellationToken ct)
    {
        var running = store.ListSandboxes().Where(s => s.Status == SandboxStatus.Running).ToList();
        await host.ShutdownAsync([.. running.Select(Hosted)], ct);
        foreach (var s in running)
        {
            store.UpdateSandbox(s.Name, SandboxStatus.Stopped);
            events.Append(s.Name, EventTypes.SandboxStopped, new JsonObject { ["image"] = s.Config.Image, ["reason"] = "daemon stopped" });
        }
    }

    /// <summary>
    /// For sandbox.url: the sandbox, started if it was stopped (as exec does), and when it was started by this daemon
    /// (<see cref="Environment.TickCount64"/>; 0 when it was adopted): a server inside may still be coming up.
    /// </summary>
    public async Task<(SandboxRecord Sandbox, long StartedAt)> StartForIngressAsync(string name, CancellationToken ct)
    {
        var s = Get(name);
        Touch(name);
        if (!(s.Status == SandboxStatus.Running && await host.IsRunningAsync(Hosted(s), ct))) s = await StartIfStoppedAsync(name, ct);
        return (s, _startedAt.GetValueOrDefault(name));
    }

    /// <summary>Marks the sandbox busy (the TTL does not stop it) until disposed; then it counts as just used.</summary>
    public IDisposable Activity(string name)
    {
        _busy.AddOrUpdate(name, 1, (_, n) => n + 1);
        Touch(name);
        return new ActivityScope(this, name);
    }

    private sealed class ActivityScope(SandboxManager owner, string name) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            owner._busy.AddOrUpdate(name, 0, (_, n) => n - 1);
            owner.Touch(name);
        }
    }

    /// <summary>Starts a stopped sandbox (exec on a sandbox that expired brings it back). Takes the lifecycle lock.</summary>
    private async Task<SandboxRecord> StartIfStoppedAsync(string name, CancellationToken ct)
    {
        var s = Get(name);
        if (s.Status == SandboxStatus.Running && await host.IsRunningAsync(Hosted(s), ct)) return s;
        var gate = _lifecycle.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await EnsureRunningAsync(Get(name), ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Caller holds the lifecycle lock.</summary>
    private async Task<SandboxRecord> EnsureRunningAsync(SandboxRecord s, CancellationToken ct) =>
        s.Status == SandboxStatus.Running && await host.IsRunningAsync(Hosted(s), ct) ? s : await StartRecordAsync(s, ct);

    private async Task<SandboxRecord> StartRecordAsync(SandboxRecord s, CancellationToken ct)
    {
        try
        {
            secrets.Refresh(s);
            await host.StartAsync(Hosted(s), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ApiProblem and not HostException)
        {
            log.LogError(e, "sandbox {Name} failed to start", s.Name);
            store.UpdateSandbox(s.Name, SandboxStatus.Failed, e.Message);
            events.Append(s.Name, EventTypes.SandboxStopped, new JsonObject { ["image"] = s.Config.Image, ["reason"] = "failed to start", ["error"] = e.Message });
            throw new ApiProblem(500, "Sandbox failed to start", $"sandbox \"{s.Name}\" failed to start: {e.Message}");
        }
        _startedAt[s.Name] = Environment.TickCount64;
        store.UpdateSandbox(s.Name, SandboxStatus.Running);
        events.Append(s.Name, EventTypes.SandboxStarted, new JsonObject { ["image"] = s.Config.Image });
        Touch(s.Name);
        return s with { Status = SandboxStatus.Running, Error = null };
    }

    private ApiProblem Failed(string name, ApiProblem problem)
    {
        events.Append(name, EventTypes.ConfigApply, new JsonObject { ["success"] = false, ["changes"] = new JsonArray(), ["error"] = problem.Message });
        return problem;
    }

    private SandboxRecord? Find(string name) => store.FindSandbox(name);

    /// <summary>What the host is told of a sandbox: never the store's bookkeeping.</summary>
    public static HostedSandbox Hosted(SandboxRecord s) => new(s.Name, s.Config);

    private void Touch(string name)
    {
        _lastActive[name] = Now();
        _unshared[name] = 0;
    }

    private long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Tells the store when this controller last saw each sandbox used since the previous call, and that the sandboxes
    /// busy here (a command, a terminal, a proxied request under way) are in use now. Every controller calls it once a
    /// second, so the leader's TTL sees what all of them served, and a controller that dies stops vouching for its work.
    /// </summary>
    public void ShareActivity()
    {
        var batch = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var name in _unshared.Keys)
        {
            _unshared.TryRemove(name, out _);
            if (_lastActive.TryGetValue(name, out var at)) batch[name] = DateTimeOffset.FromUnixTimeMilliseconds(at);
        }
        var now = _clock.GetUtcNow();
        foreach (var (name, busy) in _busy)
            if (busy > 0) batch[name] = now;
        try
        {
            store.RecordActivity(batch);
        }
        catch
        {
            foreach (var name in batch.Keys) _unshared[name] = 0; // told next time
            throw;
        }
    }

    public const int MaxFileNameBytes = 255, MaxFilePathBytes = 4096;

    /// <summary>The kernel's limits, told as a 400 before any system call answers ENAMETOOLONG.</summary>
    private static void CheckFilePath(string path)
    {
        if (path.Contains('\0')) throw Bad("path", "must not contain NUL characters");
        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxFilePathBytes) throw Bad("path", $"is longer than {MaxFilePathBytes} bytes");
        foreach (var segment in path.Split('/'))
            if (System.Text.Encoding.UTF8.GetByteCount(segment) > MaxFileNameBytes)
                throw Bad("path", $"the name \"{segment[..16]}…\" is longer than {MaxFileNameBytes} bytes, the most a file name may be");
    }

    private static ApiProblem Bad(string field, string message) => ApiProblem.Invalid([new ConfigError(field, message)], "Invalid request");

    private static void CheckName(string name)
    {
        if (!SandboxName.IsValid(name))
            throw ApiProblem.BadRequest($"sandbox name \"{name}\" is invalid: use 1-63 letters, digits, '_' or '-', starting with a letter or digit");
    }

    private static JsonArray Strings(IEnumerable<string> values)
    {
        var a = new JsonArray();
        foreach (var v in values) a.Add(v);
        return a;
    }
}
