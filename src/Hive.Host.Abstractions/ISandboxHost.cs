using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Host.Abstractions.Approvals;

namespace Hive.Host.Abstractions;

/// <summary>
/// The one seam between the controller (API, store, events, scheduling) and a machine that runs sandboxes. The embedded
/// default runs them in the controller's process; a remote host implements the same over the network. Errors are
/// <see cref="HostException"/>s (the API maps them to HTTP); host paths, network slots and runtime types never cross it.
/// </summary>
public interface ISandboxHost
{
    /// <summary>Prepares the host and removes what belongs to no known sandbox. Returns the sandboxes still running (adopted).</summary>
    Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct);

    /// <summary>Refuses a config this host cannot run, before anything is stored.</summary>
    Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, CancellationToken ct);

    /// <summary>
    /// <see cref="CheckAsync(SandboxConfig, CancellationToken)"/>, and for object-store mounts that the store answers:
    /// <paramref name="storageCredentials"/> holds the values of the secrets <c>fs[].credentials</c> name (secret name →
    /// value), used for the check only and never kept.
    /// </summary>
    Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, IReadOnlyDictionary<string, string> storageCredentials, CancellationToken ct) =>
        CheckAsync(config, ct);

    Task StartAsync(HostedSandbox sandbox, CancellationToken ct);
    Task<bool> IsRunningAsync(HostedSandbox sandbox, CancellationToken ct);
    Task StopAsync(HostedSandbox sandbox, CancellationToken ct);

    /// <summary>Stops the sandbox and removes everything the host keeps of it (its overlay, its network slot).</summary>
    Task DestroyAsync(HostedSandbox sandbox, CancellationToken ct);

    /// <summary>Puts a new config into force on a running sandbox (only the mutable parts differ).</summary>
    Task ApplyAsync(HostedSandbox sandbox, SandboxConfig proposed, CancellationToken ct);

    Task<ExecOutcome> ExecAsync(HostedSandbox sandbox, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct);

    /// <summary>
    /// Runs a command under a pseudo-terminal inside the sandbox (its init allocates it): <paramref name="input"/>
    /// carries keystrokes and window sizes and ends when the user leaves, which kills the command's session.
    /// </summary>
    Task<ExecOutcome> TerminalAsync(HostedSandbox sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct);

    /// <summary>The owner's files API: reads a regular file (a stream) or lists a directory of the mount holding <paramref name="path"/>.</summary>
    Task<FileRead> ReadFileAsync(HostedSandbox sandbox, string path, CancellationToken ct);

    /// <summary>Writes a regular file (parents created); sandboxes mounting the same storage stop serving a cached view of it.</summary>
    Task WriteFileAsync(HostedSandbox sandbox, string path, Stream content, CancellationToken ct);

    /// <summary>Deletes a file of any type or an empty directory.</summary>
    Task DeleteFileAsync(HostedSandbox sandbox, string path, CancellationToken ct);

    /// <summary>Where <c>sandbox.url</c> forwards to (port 8080 inside the running sandbox) and the client that reaches it.</summary>
    IngressTarget Ingress(HostedSandbox sandbox);

    /// <summary>Right after a start the server inside may not listen yet: waits (at most <paramref name="limit"/>) until it does.</summary>
    Task<bool> IngressReadyAsync(HostedSandbox sandbox, TimeSpan limit, CancellationToken ct);

    /// <summary>
    /// Puts a sandbox's secret bindings into force (null: none): stand-ins for the env of processes started from now on,
    /// and the proxy's substitution table, swapped so that the next request uses it. Called before start and on every
    /// change, under the controller's secrets lock, so it must not wait on the network: a remote host delivers them in
    /// the background, in order, and before the sandbox's next start or command.
    /// </summary>
    void SetSecrets(string sandbox, SandboxSecrets? secrets);

    /// <summary>The real values of the secrets bound to the sandbox: what redaction must hide (never to be shown).</summary>
    IReadOnlyList<string> SecretValues(string sandbox);

    /// <summary>The sandbox's sampled CPU, memory and task counts (empty when it never ran on this host since it started).</summary>
    Task<UsageHistory> UsageAsync(HostedSandbox sandbox, CancellationToken ct);

    /// <summary>The requests this host's proxy holds for a person.</summary>
    IApprovalQueue Approvals { get; }

    /// <summary>Stops every sandbox's container and releases host resources (daemon shutdown).</summary>
    Task ShutdownAsync(IReadOnlyList<HostedSandbox> sandboxes, CancellationToken ct);
}
