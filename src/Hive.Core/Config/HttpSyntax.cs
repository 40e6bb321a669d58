namespace Hive.Core.Config;

/// <summary>The bits of HTTP syntax that egress rules are checked against.</summary>
internal static class HttpSyntax
{
    public const string TokenDescription = "letters, digits and !#$%&'*+-.^_`|~";

    /// <summary>Headers the proxy owns: hop-by-hop and message framing. Overriding them could break or smuggle requests.</summary>
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Content-Length", "Transfer-Encoding", "Upgrade", "Keep-Alive", "Proxy-Connection",
        "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Trailers", "Expect",
    };

    /// <summary>RFC 9110 token: one or more tchar.</summary>
    public static bool IsToken(string text)
    {
        if (text.Length == 0) return false;
        foreach (var c in text)
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c))) return false;
        return true;
    }

    public static bool IsReservedHeader(string name) => ReservedHeaders.Contains(name);
}
