using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Daemon.Store;
using Hive.Runtime.Host;

namespace Hive.Daemon.HostSide;

/// <summary>
/// The one seam between the controller (API, store, events) and the machine that runs sandboxes.
/// The embedded default runs them in this process; a Kubernetes host would implement the same.
/// </summary>
public interface ISandboxHost
{
    /// <summary>Prepares the host and removes what belongs to no known sandbox. Returns the sandboxes still running (adopted).</summary>
    Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<SandboxRecord> known, CancellationToken ct);

    /// <summary>Refuses a config this host cannot run, before anything is stored.</summary>
    IReadOnlyList<ConfigError> Check(SandboxConfig config);

    Task StartAsync(SandboxRecord sandbox, CancellationToken ct);
    Task<bool> IsRunningAsync(SandboxRecord sandbox, CancellationToken ct);
    Task StopAsync(SandboxRecord sandbox, CancellationToken ct);

    /// <summary>Where <c>sandbox.url</c> forwards to: port 8080 inside the (running) sandbox, as an absolute URI ending in '/'.</summary>
    Uri IngressAddress(SandboxRecord sandbox);
    Task DestroyAsync(SandboxRecord sandbox, CancellationToken ct);

    /// <summary>Puts a new config into force on a running sandbox (only the mutable parts differ).</summary>
    Task ApplyAsync(SandboxRecord sandbox, SandboxConfig proposed, CancellationToken ct);

    Task<ExecOutcome> ExecAsync(SandboxRecord sandbox, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct);

    /// <summary>
    /// Runs a command under a pseudo-terminal inside the sandbox (its init allocates it): <paramref name="input"/>
    /// carries keystrokes and window sizes and ends when the user leaves, which kills the command's session.
    /// </summary>
    Task<ExecOutcome> TerminalAsync(SandboxRecord sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct);

    /// <summary>The host directory behind the mount that holds <paramref name="sandboxPath"/>, and the path's segments inside it.</summary>
    (string Storage, IReadOnlyList<string> Segments, int Uid, int Gid) ResolveFile(SandboxRecord sandbox, string sandboxPath);

    /// <summary>After the files API changed <paramref name="sandboxPath"/>: sandboxes that mount its storage stop serving a cached view of it.</summary>
    void FileChanged(SandboxRecord sandbox, string sandboxPath);

    /// <summary>
    /// Puts a sandbox's secret bindings into force (null: none): stand-ins for the env of processes started from now on,
    /// and the proxy's substitution table, swapped so that the next request uses it. Called before start and on every change.
    /// </summary>
    void SetSecrets(string sandbox, SandboxSecrets? secrets);

    /// <summary>The real values of the secrets bound to the sandbox: what redaction must hide (never to be shown).</summary>
    IReadOnlyList<string> SecretValues(string sandbox);

    /// <summary>The sandbox's sampled CPU, memory and task counts (empty when it never ran on this host since the daemon started).</summary>
    UsageHistory Usage(SandboxRecord sandbox);

    /// <summary>Stops every sandbox's container and releases host resources (daemon shutdown).</summary>
    Task ShutdownAsync(IReadOnlyList<SandboxRecord> sandboxes, CancellationToken ct);
}
