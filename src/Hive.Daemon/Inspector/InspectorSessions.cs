using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Hive.Daemon.Inspector;

/// <summary>A browser session of the Inspector: its cookie value and the CSRF token mutating calls must echo.</summary>
public sealed record InspectorSession(string Id, string CsrfToken, DateTimeOffset ExpiresAt);

/// <summary>
/// One-time login codes (minted for a bearer-token holder by <c>hive inspector</c>) and the browser sessions they open.
/// In memory: a daemon restart logs every browser out.
/// </summary>
public sealed class InspectorSessions(TimeProvider clock, TimeSpan codeLifetime, TimeSpan sessionLifetime)
{
    public static readonly TimeSpan DefaultCodeLifetime = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultSessionLifetime = TimeSpan.FromHours(12);

    // Codes nobody redeems are bounded, so a loop minting them cannot grow memory without end.
    private const int MaxPendingCodes = 256;
    private const int MaxSessions = 1024;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _codes = new();
    private readonly ConcurrentDictionary<string, InspectorSession> _sessions = new();

    public InspectorSessions() : this(TimeProvider.System, DefaultCodeLifetime, DefaultSessionLifetime) { }

    public TimeSpan CodeLifetime => codeLifetime;
    public TimeSpan SessionLifetime => sessionLifetime;

    public (string Code, DateTimeOffset ExpiresAt) CreateCode()
    {
        var now = clock.GetUtcNow();
        Prune(_codes, now, e => e);
        while (_codes.Count >= MaxPendingCodes)
        {
            var oldest = _codes.OrderBy(kv => kv.Value).First().Key;
            _codes.TryRemove(oldest, out _);
        }
        var code = NewSecret();
        var expires = now + codeLifetime;
        _codes[code] = expires;
        return (code, expires);
    }

    /// <summary>Redeems a code once: a used, unknown or expired code gives null.</summary>
    public InspectorSession? Redeem(string? code)
    {
        if (string.IsNullOrEmpty(code) || !_codes.TryRemove(code, out var expires)) return null;
        var now = clock.GetUtcNow();
        if (now >= expires) return null;
        Prune(_sessions, now, s => s.ExpiresAt);
        while (_sessions.Count >= MaxSessions)
        {
            var oldest = _sessions.OrderBy(kv => kv.Value.ExpiresAt).First().Key;
            _sessions.TryRemove(oldest, out _);
        }
        var session = new InspectorSession(NewSecret(), NewSecret(), now + sessionLifetime);
        _sessions[session.Id] = session;
        return session;
    }

    public InspectorSession? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || !_sessions.TryGetValue(id, out var s)) return null;
        if (clock.GetUtcNow() < s.ExpiresAt) return s;
        _sessions.TryRemove(id, out _);
        return null;
    }

    public void End(string id) => _sessions.TryRemove(id, out _);

    public static bool CsrfMatches(InspectorSession session, string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(session.CsrfToken));

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static void Prune<T>(ConcurrentDictionary<string, T> map, DateTimeOffset now, Func<T, DateTimeOffset> expiry)
    {
        foreach (var (k, v) in map)
            if (now >= expiry(v)) map.TryRemove(k, out _);
    }
}
