using Hive.Core.Secrets;

namespace Hive.Daemon.Store;

/// <summary>
/// A stored secret. <see cref="Scope"/> is "" for a secret not tied to one sandbox (global when <see cref="Global"/>,
/// else bound only by name through configs), or the sandbox it belongs to. <see cref="Sealed"/> is the encrypted value.
/// </summary>
public sealed record SecretRecord(
    string Scope, string Name, bool Global, string? Provider, IReadOnlyList<string>? Hosts, SecretAuth? Auth,
    byte[] Sealed, DateTimeOffset CreatedAt, DateTimeOffset? RotatedAt)
{
    public SecretDefinition Definition => new(Name, Provider, Hosts, Auth);

    public override string ToString() => Scope.Length == 0 ? $"secret {Name}" : $"secret {Name} of sandbox {Scope}";
}

/// <summary>The stand-in a sandbox holds for a secret name; <see cref="Auto"/>: bound because the secret was global when the sandbox was created.</summary>
public sealed record StandInRecord(string Sandbox, string Secret, string StandIn, bool Auto);

/// <summary>One request that carried or got a secret (from its secret.used / misuse / revoked event).</summary>
public sealed record SecretActivityRecord(
    long Id, DateTimeOffset Ts, string Secret, string Sandbox, string Kind, string? Method, string? Host, string? Path,
    int? Status, int? UpstreamStatus, long? DurationMs, string? Error);
