using System.Collections.Concurrent;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Daemon.HostSide;
using Hive.Daemon.Store;
using Hive.Runtime.Host;

namespace Hive.Daemon.Tests;

/// <summary>A host that runs nothing: it remembers which sandboxes are running, and lets a test hold an apply half-way.</summary>
internal sealed class FakeSandboxHost : ISandboxHost
{
    public ConcurrentDictionary<string, bool> Running { get; } = new();

    /// <summary>When set, <see cref="ApplyAsync"/> waits for it (after signalling <see cref="ApplyEntered"/>).</summary>
    public TaskCompletionSource? ApplyGate { get; set; }
    public TaskCompletionSource ApplyEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<SandboxRecord> known, CancellationToken ct) =>
        Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());

    public IReadOnlyList<ConfigError> Check(SandboxConfig config) => [];

    public Task StartAsync(SandboxRecord sandbox, CancellationToken ct)
    {
        Running[sandbox.Name] = true;
        return Task.CompletedTask;
    }

    public Task<bool> IsRunningAsync(SandboxRecord sandbox, CancellationToken ct) => Task.FromResult(Running.ContainsKey(sandbox.Name));

    public Task StopAsync(SandboxRecord sandbox, CancellationToken ct)
    {
        Running.TryRemove(sandbox.Name, out _);
        return Task.CompletedTask;
    }

    public Uri IngressAddress(SandboxRecord sandbox) => new("http://127.0.0.1:1/");

    public UsageHistory Usage(SandboxRecord sandbox) => new(TimeSpan.FromSeconds(5), 720, []);

    public Task DestroyAsync(SandboxRecord sandbox, CancellationToken ct) => StopAsync(sandbox, ct);

    public async Task ApplyAsync(SandboxRecord sandbox, SandboxConfig proposed, CancellationToken ct)
    {
        ApplyEntered.TrySetResult();
        if (ApplyGate is { } gate) await gate.Task.WaitAsync(ct);
    }

    public Task<ExecOutcome> ExecAsync(SandboxRecord sandbox, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        Task.FromResult(new ExecOutcome(0, false, 0));

    public Task<ExecOutcome> TerminalAsync(SandboxRecord sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        Task.FromResult(new ExecOutcome(0, false, 0));

    public (string Storage, IReadOnlyList<string> Segments, int Uid, int Gid) ResolveFile(SandboxRecord sandbox, string sandboxPath) =>
        throw new NotSupportedException();

    public void FileChanged(SandboxRecord sandbox, string sandboxPath) { }

    public void SetSecrets(string sandbox, SandboxSecrets? secrets) { }

    public IReadOnlyList<string> SecretValues(string sandbox) => [];

    public Task ShutdownAsync(IReadOnlyList<SandboxRecord> sandboxes, CancellationToken ct) => Task.CompletedTask;
}
