using Hive.Core.Secrets;

namespace Hive.Host.Abstractions.Wire;

public sealed record WireAuth(SecretAuthType Type, string? Name, string? Prefix, string? BasicUser);
public sealed record WireBinding(string StandIn, string Name, string? Provider, IReadOnlyList<string> Hosts, WireAuth Auth, string Value)
{
    public override string ToString() => $"binding {Name} ({StandIn})"; // never the value
}
public sealed record WireRevoked(string StandIn, string SecretName);
/// <param name="Storage">Secret name → value of the object-store credentials (<see cref="SandboxSecrets.Storage"/>).</param>
public sealed record WireSecrets(IReadOnlyDictionary<string, string> Env, IReadOnlyList<WireBinding> Bindings, IReadOnlyList<WireRevoked> Revoked,
    IReadOnlyDictionary<string, string>? Storage = null)
{
    public override string ToString() => $"{Env.Count} env stand-ins, {Bindings.Count} bindings, {Revoked.Count} revoked, {Storage?.Count ?? 0} storage credentials";
}
/// <summary>The body of a secrets delivery; <paramref name="Secrets"/> null removes the sandbox's bindings.</summary>
public sealed record WireSecretsUpdate(WireSecrets? Secrets);

/// <summary>
/// A sandbox's secret bindings on the wire, real values included: the proxy's table and the object-store credentials
/// (the link is mutual TLS; nothing here is logged, and the records' ToString never shows a value).
/// </summary>
public static class SecretsWire
{
    public static WireSecretsUpdate Write(SandboxSecrets? secrets)
    {
        if (secrets is null) return new(null);
        var s = secrets.Substitution;
        // ValuesToRedact lists the bindings' values in binding order.
        var bindings = s.Bindings.Zip(s.ValuesToRedact, (b, value) => new WireBinding(b.StandIn, b.Secret.Name, b.Secret.Provider,
            b.Secret.Hosts.Patterns, new WireAuth(b.Secret.Auth.Type, b.Secret.Auth.Name, b.Secret.Auth.Prefix, b.Secret.Auth.BasicUser), value)).ToList();
        return new(new WireSecrets(secrets.Env, bindings, [.. s.Revoked.Select(r => new WireRevoked(r.StandIn, r.SecretName))],
            secrets.Storage.Count == 0 ? null : secrets.Storage));
    }

    public static SandboxSecrets? Read(WireSecretsUpdate update)
    {
        if (update.Secrets is not { } w) return null;
        var bindings = new List<SecretBinding>();
        foreach (var b in w.Bindings)
        {
            if (!SecretHosts.TryCreate(b.Hosts, out var hosts, out var error))
                throw new HostException(HostErrorKind.Invalid, "Bad request", $"secrets.bindings[{b.Name}].hosts: {error}");
            try
            {
                bindings.Add(new SecretBinding(b.StandIn, new ResolvedSecret(b.Name, b.Provider, hosts,
                    new SecretAuth(b.Auth.Type, b.Auth.Name, b.Auth.Prefix, b.Auth.BasicUser)), b.Value));
            }
            catch (ArgumentException e)
            {
                throw new HostException(HostErrorKind.Invalid, "Bad request", $"secrets.bindings[{b.Name}]: {e.Message}");
            }
        }
        return new SandboxSecrets(w.Env, new SecretSubstitution(bindings, w.Revoked.Select(r => new RevokedStandIn(r.StandIn, r.SecretName))), w.Storage);
    }
}
