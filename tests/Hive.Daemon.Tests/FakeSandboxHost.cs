using System.Collections.Concurrent;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Egress.Approvals;

namespace Hive.Daemon.Tests;

/// <summary>A host that runs nothing: it remembers which sandboxes are running, and lets a test hold an apply half-way.</summary>
internal sealed class FakeSandboxHost : ISandboxHost
{
    public ConcurrentDictionary<string, bool> Running { get; } = new();

    /// <summary>When set, <see cref="ApplyAsync"/> waits for it (after signalling <see cref="ApplyEntered"/>).</summary>
    public TaskCompletionSource? ApplyGate { get; set; }
    public TaskCompletionSource ApplyEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IApprovalQueue Approvals { get; } = new EgressApprovals(new NoEvents());

    public Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct) =>
        Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());

    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, CancellationToken ct) => Task.FromResult<IReadOnlyList<ConfigError>>([]);

    public Task StartAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        Running[sandbox.Name] = true;
        return Task.CompletedTask;
    }

    public Task<bool> IsRunningAsync(HostedSandbox sandbox, CancellationToken ct) => Task.FromResult(Running.ContainsKey(sandbox.Name));

    public Task StopAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        Running.TryRemove(sandbox.Name, out _);
        return Task.CompletedTask;
    }

    public IngressTarget Ingress(HostedSandbox sandbox) => new(new Uri("http://127.0.0.1:1/"), new HttpMessageInvoker(new SocketsHttpHandler()));

    public Task<bool> IngressReadyAsync(HostedSandbox sandbox, TimeSpan limit, CancellationToken ct) => Task.FromResult(false);

    public Task<UsageHistory> UsageAsync(HostedSandbox sandbox, CancellationToken ct) => Task.FromResult(new UsageHistory(TimeSpan.FromSeconds(5), 720, []));

    public Task DestroyAsync(HostedSandbox sandbox, CancellationToken ct) => StopAsync(sandbox, ct);

    public async Task ApplyAsync(HostedSandbox sandbox, SandboxConfig proposed, CancellationToken ct)
    {
        ApplyEntered.TrySetResult();
        if (ApplyGate is { } gate) await gate.Task.WaitAsync(ct);
    }

    public Task<ExecOutcome> ExecAsync(HostedSandbox sandbox, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        Task.FromResult(new ExecOutcome(0, false, 0));

    public Task<ExecOutcome> TerminalAsync(HostedSandbox sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct) =>
        Task.FromResult(new ExecOutcome(0, false, 0));

    public Task<FileRead> ReadFileAsync(HostedSandbox sandbox, string path, CancellationToken ct) => throw new NotSupportedException();
    public Task WriteFileAsync(HostedSandbox sandbox, string path, Stream content, CancellationToken ct) => throw new NotSupportedException();
    public Task DeleteFileAsync(HostedSandbox sandbox, string path, CancellationToken ct) => throw new NotSupportedException();

    public void SetSecrets(string sandbox, SandboxSecrets? secrets) { }

    public IReadOnlyList<string> SecretValues(string sandbox) => [];

    public Task ShutdownAsync(IReadOnlyList<HostedSandbox> sandboxes, CancellationToken ct) => Task.CompletedTask;

    private sealed class NoEvents : IHostEventSink
    {
        public long Append(string sandbox, string type, string data) => 0;
    }
}
