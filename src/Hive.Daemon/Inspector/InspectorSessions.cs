using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hive.Daemon.Inspector;

/// <summary>A browser session of the Inspector: the hash of its cookie value, and the CSRF token mutating calls must echo.</summary>
public sealed record InspectorSession(string Key, string CsrfToken, DateTimeOffset ExpiresAt);

/// <summary>
/// One-time login codes (minted for a bearer-token holder by <c>hive inspector</c>) and the browser sessions they open.
/// Codes live in memory; sessions are also kept in <c>$HIVE_HOME/inspector-sessions.json</c> (root only, cookie values
/// hashed) so that a daemon restart does not log browsers out.
/// </summary>
public sealed class InspectorSessions
{
    public static readonly TimeSpan DefaultCodeLifetime = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultSessionLifetime = TimeSpan.FromHours(12);

    // Codes nobody redeems are bounded, so a loop minting them cannot grow memory without end.
    private const int MaxPendingCodes = 256;
    private const int MaxSessions = 1024;

    private readonly TimeProvider _clock;
    private readonly string? _storePath;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _codes = new();
    private readonly ConcurrentDictionary<string, InspectorSession> _sessions = new();
    private readonly Lock _saving = new();

    public InspectorSessions(TimeProvider clock, TimeSpan codeLifetime, TimeSpan sessionLifetime, string? storePath = null)
    {
        _clock = clock;
        CodeLifetime = codeLifetime;
        SessionLifetime = sessionLifetime;
        _storePath = storePath;
        Load();
    }

    public TimeSpan CodeLifetime { get; }
    public TimeSpan SessionLifetime { get; }

    public (string Code, DateTimeOffset ExpiresAt) CreateCode()
    {
        var now = _clock.GetUtcNow();
        Prune(_codes, now, e => e);
        while (_codes.Count >= MaxPendingCodes)
        {
            var oldest = _codes.OrderBy(kv => kv.Value).First().Key;
            _codes.TryRemove(oldest, out _);
        }
        var code = NewSecret();
        var expires = now + CodeLifetime;
        _codes[code] = expires;
        return (code, expires);
    }

    /// <summary>Redeems a code once: the new session and its cookie value; null for a used, unknown or expired code.</summary>
    public (string Cookie, InspectorSession Session)? Redeem(string? code)
    {
        if (string.IsNullOrEmpty(code) || !_codes.TryRemove(code, out var expires)) return null;
        var now = _clock.GetUtcNow();
        if (now >= expires) return null;
        Prune(_sessions, now, s => s.ExpiresAt);
        while (_sessions.Count >= MaxSessions)
        {
            var oldest = _sessions.OrderBy(kv => kv.Value.ExpiresAt).First().Key;
            _sessions.TryRemove(oldest, out _);
        }
        var cookie = NewSecret();
        var session = new InspectorSession(Hash(cookie), NewSecret(), now + SessionLifetime);
        _sessions[session.Key] = session;
        Save();
        return (cookie, session);
    }

    /// <summary>The live session whose cookie value this is, or null.</summary>
    public InspectorSession? Find(string? cookie)
    {
        if (string.IsNullOrEmpty(cookie) || cookie.Length > 128) return null;
        var key = Hash(cookie);
        if (!_sessions.TryGetValue(key, out var s)) return null;
        if (_clock.GetUtcNow() < s.ExpiresAt) return s;
        _sessions.TryRemove(key, out _);
        return null;
    }

    public void End(InspectorSession session)
    {
        if (_sessions.TryRemove(session.Key, out _)) Save();
    }

    public static bool CsrfMatches(InspectorSession session, string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(session.CsrfToken));

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static string Hash(string cookie) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cookie)));

    private static void Prune<T>(ConcurrentDictionary<string, T> map, DateTimeOffset now, Func<T, DateTimeOffset> expiry)
    {
        foreach (var (k, v) in map)
            if (now >= expiry(v)) map.TryRemove(k, out _);
    }

    // A missing or unreadable file only means nobody stays logged in.
    private void Load()
    {
        if (_storePath is null || !File.Exists(_storePath)) return;
        try
        {
            var now = _clock.GetUtcNow();
            foreach (var item in JsonNode.Parse(File.ReadAllText(_storePath))?.AsArray() ?? [])
            {
                var s = new InspectorSession((string)item!["key"]!, (string)item["csrf"]!, DateTimeOffset.Parse((string)item["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture));
                if (s.Key.Length == 64 && s.CsrfToken.Length == 64 && s.ExpiresAt > now && _sessions.Count < MaxSessions) _sessions[s.Key] = s;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            _sessions.Clear();
        }
    }

    private void Save()
    {
        if (_storePath is null) return;
        lock (_saving)
        {
            var list = new JsonArray();
            foreach (var s in _sessions.Values)
                list.Add(new JsonObject { ["key"] = s.Key, ["csrf"] = s.CsrfToken, ["expiresAt"] = s.ExpiresAt.ToString("O") });
            var tmp = _storePath + ".tmp";
            using (var f = new FileStream(tmp, new FileStreamOptions
                   {
                       Mode = FileMode.Create, Access = FileAccess.Write,
                       UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                   }))
            using (var w = new StreamWriter(f))
                w.Write(list.ToJsonString());
            File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(tmp, _storePath, overwrite: true);
        }
    }
}
