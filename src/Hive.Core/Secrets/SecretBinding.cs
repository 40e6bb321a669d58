namespace Hive.Core.Secrets;

/// <summary>
/// A secret bound into one sandbox: its stand-in, where it may go and how, and the real value the proxy puts in its
/// place. <see cref="ToString"/> never shows the value (nor does anything else here).
/// </summary>
public sealed class SecretBinding
{
    public SecretBinding(string standIn, ResolvedSecret secret, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(standIn);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0) throw new ArgumentException($"the value of secret {secret.Name} is empty", nameof(value));
        if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            throw new ArgumentException($"the value of secret {secret.Name} contains a line break or NUL; it cannot be sent in a header", nameof(value));
        if (string.Equals(standIn, value, StringComparison.Ordinal))
            throw new ArgumentException($"the stand-in of secret {secret.Name} equals its value", nameof(standIn));
        StandIn = standIn;
        Secret = secret;
        Value = value;
    }

    public string StandIn { get; }
    public ResolvedSecret Secret { get; }
    public string Name => Secret.Name;
    internal string Value { get; }

    public override string ToString() => $"{Secret.Name} (stand-in bound; {Secret.Hosts})";
}

/// <summary>The stand-in of a secret that was deleted (or can no longer be resolved): requests carrying it fail closed.</summary>
public sealed record RevokedStandIn(string StandIn, string SecretName)
{
    public override string ToString() => $"{SecretName} (revoked)";
}
