namespace Hive.Core.Config;

/// <summary>
/// A sandbox's configuration as docs/configuration.md describes it, normalised: every default is filled in, egress is in list form,
/// host names are canonical. Produced by <see cref="ConfigParser"/>; equality compares contents, not references.
/// </summary>
public sealed record SandboxConfig
{
    public const string DefaultImage = "hive/base";

    public required string Image { get; init; }
    public required IReadOnlyDictionary<string, string> Env { get; init; }

    /// <summary>Environment variable name → secret name.</summary>
    public required IReadOnlyDictionary<string, string> Secrets { get; init; }

    public required IReadOnlyList<FsMount> Fs { get; init; }

    /// <summary>Ordered rules; the first match decides; no rule matching (or no rules) means deny.</summary>
    public required IReadOnlyList<EgressRule> Egress { get; init; }

    /// <summary>What happens to a request no rule matches: denied (the default) or held for a person to decide.</summary>
    public EgressDefault EgressDefault { get; init; } = EgressDefault.Deny;

    /// <summary>Seconds a held request waits for a decision before it is denied.</summary>
    public int AskTimeout { get; init; } = DefaultAskTimeout;

    public const int DefaultAskTimeout = 120;
    public const int MaxAskTimeout = 3600;

    /// <summary>Idle seconds before the sandbox stops; 0 = never.</summary>
    public required int Ttl { get; init; }

    public required Resources Resources { get; init; }

    public bool Equals(SandboxConfig? other) =>
        other is not null
        && Image == other.Image
        && Equality.Maps(Env, other.Env)
        && Equality.Maps(Secrets, other.Secrets)
        && Equality.Lists(Fs, other.Fs)
        && Equality.Lists(Egress, other.Egress)
        && EgressDefault == other.EgressDefault
        && AskTimeout == other.AskTimeout
        && Ttl == other.Ttl
        && Resources == other.Resources;

    public override int GetHashCode() => HashCode.Combine(Image, Env.Count, Secrets.Count, Fs.Count, Egress.Count, Ttl, Resources);
}

/// <summary>The <c>egressDefault</c> field: what a request no rule matches gets.</summary>
public enum EgressDefault { Deny, Ask }
