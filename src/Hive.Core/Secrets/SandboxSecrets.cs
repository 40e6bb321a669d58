namespace Hive.Core.Secrets;

/// <summary>
/// What one sandbox gets from its secret bindings: stand-ins for the env of its processes, and the proxy's substitution
/// table. Swapped whole when a binding, value or secret changes. Holds values (inside <see cref="Substitution"/>) but never
/// shows them.
/// </summary>
public sealed class SandboxSecrets(IReadOnlyDictionary<string, string> env, SecretSubstitution substitution,
    IReadOnlyDictionary<string, string>? storage = null)
{
    public static SandboxSecrets Empty { get; } = new(new Dictionary<string, string>(), SecretSubstitution.Empty);

    /// <summary>Env var → stand-in.</summary>
    public IReadOnlyDictionary<string, string> Env { get; } = env;

    public SecretSubstitution Substitution { get; } = substitution;

    /// <summary>
    /// Secret name → value of the secrets the sandbox's object-store mounts name in <c>fs[].credentials</c>: for the host's
    /// file system to talk to the store. Never put in the sandbox's env or the proxy's table (docs/files.md).
    /// </summary>
    public IReadOnlyDictionary<string, string> Storage { get; } = storage ?? new Dictionary<string, string>();

    /// <summary>Every value redaction must hide: the proxy's and the storage credentials.</summary>
    public IEnumerable<string> ValuesToRedact => Substitution.ValuesToRedact.Concat(Storage.Values);

    public override string ToString() => $"{Env.Count} env stand-ins; {Substitution}; {Storage.Count} storage credentials";
}
