using System.Collections.Concurrent;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Egress.Approvals;

namespace Hive.Controller.Tests;

/// <summary>A sandbox host that runs nothing: it records which sandboxes run on it and every call it got, and can be made unreachable.</summary>
internal sealed class FakeHost(string name) : ISandboxHost
{
    public string Name { get; } = name;
    public ConcurrentDictionary<string, byte> Running { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, byte> Known { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<string> Calls { get; } = new();
    public ConcurrentDictionary<string, SandboxSecrets?> Secrets { get; } = new(StringComparer.Ordinal);
    public int Startups;
    public volatile bool Down;

    /// <summary>When set, StartAsync waits for it: a test holds a start half-way.</summary>
    public TaskCompletionSource? StartGate { get; set; }

    public IApprovalQueue Approvals { get; } = new EgressApprovals(new NoEvents());

    private void Call(string what)
    {
        if (Down) throw new HostException(HostErrorKind.Unavailable, "Host unreachable", $"host {Name} does not answer");
        Calls.Enqueue(what);
    }

    public Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct)
    {
        Call("startup");
        Interlocked.Increment(ref Startups);
        foreach (var k in Known.Keys) if (!known.Any(s => s.Name == k)) { Known.TryRemove(k, out _); Running.TryRemove(k, out _); }
        return Task.FromResult<IReadOnlySet<string>>(Running.Keys.Where(r => known.Any(s => s.Name == r)).ToHashSet());
    }

    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, CancellationToken ct)
    {
        Call("check");
        return Task.FromResult<IReadOnlyList<ConfigError>>(config.Image == "missing" ? [new ConfigError("image", $"no image on {Name}")] : []);
    }

    /// <summary>The storage credentials each store check received, in order.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> StoreChecks { get; } = new();

    public async Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, IReadOnlyDictionary<string, string> storageCredentials, CancellationToken ct)
    {
        var errors = await CheckAsync(config, ct);
        StoreChecks.Enqueue(storageCredentials);
        return errors;
    }

    public async Task StartAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        Call("start " + sandbox.Name);
        if (StartGate is { } gate) await gate.Task.WaitAsync(ct);
        Known[sandbox.Name] = 0;
        Running[sandbox.Name] = 0;
    }

    public Task<bool> IsRunningAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        Call("running? " + sandbox.Name);
        return Task.FromResult(Running.ContainsKey(sandbox.Name));
    }

    public Task StopAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        Call("stop " + sandbox.Name);
        Running.TryRemove(sandbox.Name, out _);
        return Task.CompletedTask;
    }

    public Task DestroyAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        Call("destroy " + sandbox.Name);
        Running.TryRemove(sandbox.Name, out _);
        Known.TryRemove(sandbox.Name, out _);
        return Task.CompletedTask;
    }

    public Task ApplyAsync(HostedSandbox sandbox, SandboxConfig proposed, CancellationToken ct)
    {
        Call("apply " + sandbox.Name);
        return Task.CompletedTask;
    }

    /// <summary>When set, a command runs until it is completed: a test holds a long command.</summary>
    public TaskCompletionSource? ExecGate { get; set; }

    public async Task<ExecOutcome> ExecAsync(HostedSandbox sandbox, ExecSpec spec, Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        Call("exec " + sandbox.Name);
        if (!Running.ContainsKey(sandbox.Name)) throw HostException.Conflict($"{sandbox.Name} is not running on {Name}");
        if (ExecGate is { } gate) await gate.Task.WaitAsync(ct);
        return new ExecOutcome(0, false, 1);
    }

    public Task<ExecOutcome> TerminalAsync(HostedSandbox sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) => ExecAsync(sandbox, spec, (_, _, _) => ValueTask.CompletedTask, ct);

    public Task<FileRead> ReadFileAsync(HostedSandbox sandbox, string path, CancellationToken ct)
    {
        Call("read " + sandbox.Name);
        return Task.FromException<FileRead>(HostException.NotFound(path));
    }

    public Task WriteFileAsync(HostedSandbox sandbox, string path, Stream content, CancellationToken ct)
    {
        Call("write " + sandbox.Name);
        return Task.CompletedTask;
    }

    public Task DeleteFileAsync(HostedSandbox sandbox, string path, CancellationToken ct)
    {
        Call("delete " + sandbox.Name);
        return Task.CompletedTask;
    }

    public IngressTarget Ingress(HostedSandbox sandbox) => new(new Uri($"http://{Name}.invalid/"), new HttpMessageInvoker(new SocketsHttpHandler()));

    public Task<bool> IngressReadyAsync(HostedSandbox sandbox, TimeSpan limit, CancellationToken ct) => Task.FromResult(true);

    public void SetSecrets(string sandbox, SandboxSecrets? secrets) => Secrets[sandbox] = secrets;

    public IReadOnlyList<string> SecretValues(string sandbox) => [];

    public Task<UsageHistory> UsageAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        Call("usage " + sandbox.Name);
        return Task.FromResult(new UsageHistory(TimeSpan.FromSeconds(5), 720, []));
    }

    public Task ShutdownAsync(IReadOnlyList<HostedSandbox> sandboxes, CancellationToken ct) => Task.CompletedTask;

    private sealed class NoEvents : IHostEventSink
    {
        public long Append(string sandbox, string type, string data) => 0;
    }
}

/// <summary>A clock the test moves.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}
