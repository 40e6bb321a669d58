namespace Hive.Core.Secrets;

/// <summary>
/// What one sandbox gets from its secret bindings: stand-ins for the env of its processes, and the proxy's substitution
/// table. Swapped whole when a binding, value or secret changes. Holds values (inside <see cref="Substitution"/>) but never
/// shows them.
/// </summary>
public sealed class SandboxSecrets(IReadOnlyDictionary<string, string> env, SecretSubstitution substitution)
{
    public static SandboxSecrets Empty { get; } = new(new Dictionary<string, string>(), SecretSubstitution.Empty);

    /// <summary>Env var → stand-in.</summary>
    public IReadOnlyDictionary<string, string> Env { get; } = env;

    public SecretSubstitution Substitution { get; } = substitution;

    public override string ToString() => $"{Env.Count} env stand-ins; {Substitution}";
}
