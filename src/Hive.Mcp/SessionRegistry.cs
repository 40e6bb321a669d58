using System.Collections.Concurrent;
using Hive.Mcp.Tools;

namespace Hive.Mcp;

/// <summary>Per-MCP-session state (the bash working directory), keyed by the Mcp-Session-Id.</summary>
/// <remarks>State of sessions idle for longer than the transport keeps them is dropped; it is one string each.</remarks>
public sealed class SessionRegistry(string initialCwd)
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(2);
    private const int SweepAbove = 256;

    private readonly ConcurrentDictionary<string, (ShellSession Session, long LastUsed)> _sessions = new(StringComparer.Ordinal);

    public string InitialCwd => initialCwd;

    public int Count => _sessions.Count;

    public ShellSession For(string? sessionId)
    {
        var now = Environment.TickCount64;
        if (_sessions.Count > SweepAbove) Sweep(now);
        var entry = _sessions.AddOrUpdate(sessionId ?? "", _ => (new ShellSession(initialCwd), now), (_, e) => (e.Session, now));
        return entry.Session;
    }

    private void Sweep(long now)
    {
        foreach (var (id, e) in _sessions)
            if (now - e.LastUsed > (long)IdleTimeout.TotalMilliseconds) _sessions.TryRemove(id, out _);
    }
}
