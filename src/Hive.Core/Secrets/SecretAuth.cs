namespace Hive.Core.Secrets;

/// <summary>How a secret is presented to its hosts (docs/secrets.md).</summary>
public enum SecretAuthType
{
    /// <summary><c>Authorization: Bearer VALUE</c> (prefix overridable).</summary>
    Bearer,
    /// <summary>A named header: <c>NAME: [PREFIX]VALUE</c>.</summary>
    Header,
    /// <summary><c>Authorization: Basic base64(user:password)</c>; see <see cref="SecretAuth.BasicCredentials"/>.</summary>
    Basic,
    /// <summary>A query parameter: <c>?NAME=[PREFIX]VALUE</c>.</summary>
    Query,
}

/// <summary>
/// An auth scheme. <see cref="Name"/> is the header (<see cref="SecretAuthType.Header"/>), the query parameter
/// (<see cref="SecretAuthType.Query"/>) or the Basic user name (<see cref="SecretAuthType.Basic"/>, optional).
/// <see cref="Prefix"/> goes before the value when it is injected (bearer: defaults to <c>Bearer </c>).
/// <see cref="BasicUser"/>, when set on a bearer scheme, says the value is also accepted as the password of
/// Basic credentials with that user (git over HTTPS on github.com): injection into a git smart-HTTP request then
/// uses Basic. Stand-ins are replaced inside Basic credentials whatever the scheme.
/// </summary>
public sealed record SecretAuth(SecretAuthType Type, string? Name = null, string? Prefix = null, string? BasicUser = null)
{
    public static SecretAuth Bearer { get; } = new(SecretAuthType.Bearer);
    public static SecretAuth ApiKeyHeader(string name) => new(SecretAuthType.Header, name);

    /// <summary>The header that carries the credential; null for <see cref="SecretAuthType.Query"/>.</summary>
    public string? HeaderName => Type switch
    {
        SecretAuthType.Bearer or SecretAuthType.Basic => "Authorization",
        SecretAuthType.Header => Name,
        _ => null,
    };

    /// <summary>The text injected for <paramref name="value"/> (header value or, for query, the decoded parameter value).</summary>
    public string Render(string value) => Type switch
    {
        SecretAuthType.Bearer => (Prefix ?? "Bearer ") + value,
        SecretAuthType.Basic => "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(BasicCredentials(value))),
        _ => (Prefix ?? "") + value,
    };

    /// <summary>
    /// The <c>user:password</c> text for Basic: <c>Name:VALUE</c> when a user name is set, else the value itself when it
    /// holds a colon (<c>user:password</c>), else <c>VALUE:</c> (the key as user name, empty password, as many APIs take it).
    /// </summary>
    public string BasicCredentials(string value) =>
        Name is not null ? Name + ":" + value : value.Contains(':') ? value : value + ":";

    public override string ToString() =>
        Type.ToString().ToLowerInvariant() + (Name is null ? "" : " " + Name) + (BasicUser is null ? "" : " (also Basic as " + BasicUser + ")");
}
