using System.Diagnostics.CodeAnalysis;
using Hive.Core.Config;

namespace Hive.Core.Secrets;

/// <summary>A problem with one field of a secret definition. Never quotes a value.</summary>
public sealed record SecretError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// What a secret is, without its value: a name and either a <see cref="Provider"/> from <see cref="ProviderCatalog"/>
/// (which fixes hosts and auth) or custom <see cref="Hosts"/> and <see cref="Auth"/>. Validate with
/// <see cref="TryResolve"/>.
/// </summary>
public sealed record SecretDefinition(string Name, string? Provider = null, IReadOnlyList<string>? Hosts = null, SecretAuth? Auth = null)
{
    public const int MaxNameLength = 128;

    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && char.IsAsciiLetterOrDigit(name[0])
        && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-');

    /// <summary>Checks every field; on success the resolved hosts and auth (the provider's or the custom ones).</summary>
    public bool TryResolve([NotNullWhen(true)] out ResolvedSecret? resolved, out IReadOnlyList<SecretError> errors)
    {
        var list = new List<SecretError>();
        resolved = null;
        if (!IsValidName(Name))
            list.Add(new("name", $"must be 1-{MaxNameLength} characters of letters, digits, _, . and -, starting with a letter or digit"));

        SecretHosts? hosts = null;
        SecretAuth? auth = null;
        if (Provider is not null)
        {
            var provider = ProviderCatalog.Find(Provider);
            if (provider is null)
                list.Add(new("provider", $"is not a known provider; use one of {string.Join(", ", ProviderCatalog.Names)}, or give hosts and auth"));
            if (Hosts is not null) list.Add(new("hosts", "must not be given with a provider: the provider fixes the hosts"));
            if (Auth is not null) list.Add(new("auth", "must not be given with a provider: the provider fixes the auth scheme"));
            if (provider is not null)
            {
                hosts = SecretHosts.Create(provider.Hosts);
                auth = provider.Auth;
            }
        }
        else
        {
            if (Hosts is null || Hosts.Count == 0)
                list.Add(new("hosts", "must list at least one host (an exact host name or *.domain) when no provider is given"));
            else if (!SecretHosts.TryCreate(Hosts, out hosts, out var hostError))
                list.Add(new(hostError.StartsWith("hosts[", StringComparison.Ordinal) ? hostError[..(hostError.IndexOf(']') + 1)] : "hosts",
                    hostError.StartsWith("hosts[", StringComparison.Ordinal) ? hostError[(hostError.IndexOf(']') + 2)..] : hostError));
            if (Auth is null) list.Add(new("auth", "is required when no provider is given: { type: bearer|header|basic|query, name?, prefix? }"));
            else if (ValidateAuth(Auth, list)) auth = Auth;
        }

        errors = list;
        if (list.Count > 0 || hosts is null || auth is null) return false;
        resolved = new ResolvedSecret(Name, Provider is null ? null : ProviderCatalog.Find(Provider)!.Name, hosts, auth);
        return true;
    }

    private static bool ValidateAuth(SecretAuth auth, List<SecretError> errors)
    {
        var before = errors.Count;
        if (!Enum.IsDefined(auth.Type)) errors.Add(new("auth.type", "must be bearer, header, basic or query"));
        switch (auth.Type)
        {
            case SecretAuthType.Header:
                if (string.IsNullOrEmpty(auth.Name)) errors.Add(new("auth.name", "is required for type header: the header that carries the key, such as X-Api-Key"));
                else if (!HttpSyntax.IsToken(auth.Name)) errors.Add(new("auth.name", "must be a valid header name (letters, digits and !#$%&'*+-.^_`|~)"));
                else if (IsForbiddenHeader(auth.Name)) errors.Add(new("auth.name", "must not be a header that echoes back or belongs to the connection (Host, User-Agent, Referer, Origin, Cookie, ...)"));
                break;
            case SecretAuthType.Query:
                if (string.IsNullOrEmpty(auth.Name)) errors.Add(new("auth.name", "is required for type query: the query parameter that carries the key, such as api_key"));
                else if (auth.Name.Any(c => char.IsControl(c) || c is ' ' or '&' or '=' or '#')) errors.Add(new("auth.name", "must be a query parameter name without spaces, control characters, &, = or #"));
                break;
            case SecretAuthType.Basic:
                if (auth.Name is not null && (auth.Name.Length == 0 || auth.Name.Contains(':') || auth.Name.Any(char.IsControl)))
                    errors.Add(new("auth.name", "for type basic is the user name: non-empty, without : or control characters"));
                break;
            case SecretAuthType.Bearer:
                if (auth.Name is not null) errors.Add(new("auth.name", "is not used by type bearer (the header is Authorization); use type header for another header"));
                break;
        }
        if (auth.Prefix is not null && auth.Prefix.Any(c => char.IsControl(c) && c != '\t'))
            errors.Add(new("auth.prefix", "must not contain control characters"));
        if (auth.Prefix is not null && auth.Type == SecretAuthType.Basic)
            errors.Add(new("auth.prefix", "is not used by type basic (the value is sent as Basic credentials)"));
        if (auth.BasicUser is not null && (auth.Type != SecretAuthType.Bearer || auth.BasicUser.Length == 0 || auth.BasicUser.Contains(':')))
            errors.Add(new("auth.basicUser", "applies to type bearer only and must be a user name without :"));
        return errors.Count == before;
    }

    private static readonly HashSet<string> ForbiddenHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "user-agent", "referer", "origin", "cookie", "set-cookie", "content-length", "transfer-encoding",
        "connection", "upgrade", "te", "trailer", "keep-alive", "proxy-authorization", "proxy-connection", "expect",
    };

    internal static bool IsForbiddenHeader(string name) => ForbiddenHeaders.Contains(name);

    public override string ToString() => Provider is not null ? $"{Name} ({Provider})" : $"{Name} ({string.Join(", ", Hosts ?? [])}; {Auth})";
}

/// <summary>A validated secret definition: where its value may go and how. Carries no value.</summary>
public sealed record ResolvedSecret(string Name, string? Provider, SecretHosts Hosts, SecretAuth Auth)
{
    public override string ToString() => $"{Name} ({Provider ?? "custom"}; {Hosts}; {Auth})";
}
