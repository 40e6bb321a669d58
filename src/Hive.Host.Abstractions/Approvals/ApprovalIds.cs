namespace Hive.Host.Abstractions.Approvals;

/// <summary>Held requests' ids: <c>apr_</c> and 16 lower-case hex digits.</summary>
public static class ApprovalIds
{
    public const string Prefix = "apr_";

    public static bool IsWellFormed(string id) =>
        id.Length == Prefix.Length + 16 && id.StartsWith(Prefix, StringComparison.Ordinal)
        && id.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdef") == false;
}
