namespace Hive.Core.Secrets;

/// <summary>What <see cref="SecretSubstitution.Apply"/> decided. No result ever shows a secret value.</summary>
public abstract class SubstitutionResult
{
    private protected SubstitutionResult() { }

    /// <summary>The request must not be forwarded.</summary>
    public abstract bool Denied { get; }

    /// <summary>Forward the request with these headers and this query (real values in place of stand-ins).</summary>
    public sealed class Forward : SubstitutionResult
    {
        internal Forward(IReadOnlyList<KeyValuePair<string, string>> headers, string? query, IReadOnlyList<string> used, IReadOnlyList<string> injected, bool changed)
        {
            Headers = headers;
            Query = query;
            UsedSecrets = used;
            InjectedSecrets = injected;
            Changed = changed;
        }

        public override bool Denied => false;
        /// <summary>The headers to send: the request's own list when <see cref="Changed"/> is false.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }
        /// <summary>The raw query to send, without <c>?</c>; null for none.</summary>
        public string? Query { get; }
        /// <summary>Names of every secret the request uses: substituted or injected, in binding order, no duplicates.</summary>
        public IReadOnlyList<string> UsedSecrets { get; }
        /// <summary>Names of the secrets whose scheme was injected (a subset of <see cref="UsedSecrets"/>).</summary>
        public IReadOnlyList<string> InjectedSecrets { get; }
        public bool Changed { get; }

        public override string ToString() =>
            UsedSecrets.Count == 0 ? "forward (no secrets)" :
            $"forward (secrets used: {string.Join(", ", UsedSecrets)}" + (InjectedSecrets.Count == 0 ? ")" : $"; injected: {string.Join(", ", InjectedSecrets)})");
    }

    /// <summary>A stand-in was sent to a host that is not one of its secret's hosts: deny, record <c>secret.misuse</c>.</summary>
    public sealed class Misuse : SubstitutionResult
    {
        internal Misuse(string secretName, string host) { SecretName = secretName; Host = host; }
        public override bool Denied => true;
        public string SecretName { get; }
        public string Host { get; }
        public override string ToString() => $"misuse: the stand-in of secret {SecretName} was sent to {Host}, which is not one of its hosts";
    }

    /// <summary>A stand-in of a deleted or unresolvable secret: fail closed (403), record <c>secret.revoked</c>.</summary>
    public sealed class Revoked : SubstitutionResult
    {
        internal Revoked(string secretName) => SecretName = secretName;
        public override bool Denied => true;
        public string SecretName { get; }
        public override string ToString() => $"revoked: secret {SecretName} was deleted; requests carrying its stand-in are refused";
    }
}
