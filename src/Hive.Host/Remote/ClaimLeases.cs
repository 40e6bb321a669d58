namespace Hive.Host.Remote;

/// <summary>
/// The held requests a controller claimed on this host, each for a lease: the controller renews it while its decision
/// is under way (<c>…/renew</c>), and one that is not renewed in time (its controller died or was cut off) is released,
/// so another controller can decide the request, or its own timeout can end it.
/// </summary>
internal sealed class ClaimLeases : IDisposable
{
    /// <summary>How long a claim holds without a renewal, by default.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(30);

    private readonly IApprovalQueue _approvals;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, (HeldRequest Held, DateTimeOffset Until)> _claims = new(StringComparer.Ordinal);
    private readonly ITimer _sweeper;

    public ClaimLeases(IApprovalQueue approvals, TimeSpan lease, TimeProvider? clock = null)
    {
        _approvals = approvals;
        _clock = clock ?? TimeProvider.System;
        Lease = lease;
        var period = TimeSpan.FromTicks(Math.Max(lease.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks));
        _sweeper = _clock.CreateTimer(_ => Sweep(), null, period, period);
    }

    public TimeSpan Lease { get; }

    /// <summary>Claims the waiting request <paramref name="id"/> for one lease; false when unknown, ended or claimed.</summary>
    public bool TryClaim(string id)
    {
        if (_approvals.Find(id) is not { } held || !_approvals.TryClaim(held)) return false;
        lock (_claims) _claims[id] = (held, _clock.GetUtcNow() + Lease);
        return true;
    }

    /// <summary>Extends a claim that still holds; false when it was released (expired) or decided.</summary>
    public bool Renew(string id)
    {
        lock (_claims)
        {
            if (!_claims.TryGetValue(id, out var c)) return false;
            _claims[id] = (c.Held, _clock.GetUtcNow() + Lease);
            return true;
        }
    }

    public HeldRequest? Find(string id)
    {
        lock (_claims) return _claims.TryGetValue(id, out var c) ? c.Held : null;
    }

    /// <summary>Ends the claim and gives the request back to the queue.</summary>
    public void Unclaim(string id)
    {
        if (Remove(id) is { } held) _approvals.Unclaim(held);
    }

    /// <summary>The claimed request, now the caller's to decide; null when it holds no claim.</summary>
    public HeldRequest? Take(string id) => Remove(id);

    /// <summary>Releases every claim whose lease ran out.</summary>
    public void Sweep()
    {
        var now = _clock.GetUtcNow();
        List<HeldRequest> expired;
        lock (_claims)
        {
            expired = [.. _claims.Values.Where(c => c.Until <= now).Select(c => c.Held)];
            foreach (var h in expired) _claims.Remove(h.Id);
        }
        foreach (var h in expired) _approvals.Unclaim(h);
    }

    private HeldRequest? Remove(string id)
    {
        lock (_claims) return _claims.Remove(id, out var c) ? c.Held : null;
    }

    public void Dispose() => _sweeper.Dispose();
}
