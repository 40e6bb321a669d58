using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Hive.Core.Egress;

/// <summary>An IPv4 address handed out by a <see cref="SyntheticAddressPool"/>: a value, so lookups do not allocate.</summary>
public readonly record struct SyntheticAddress(uint Value)
{
    public IPAddress ToIPAddress() => new([(byte)(Value >> 24), (byte)(Value >> 16), (byte)(Value >> 8), (byte)Value]);

    /// <summary>Writes the 4 bytes in network order (a DNS A record's RDATA).</summary>
    public bool TryWriteBytes(Span<byte> destination)
    {
        if (destination.Length < 4) return false;
        destination[0] = (byte)(Value >> 24);
        destination[1] = (byte)(Value >> 16);
        destination[2] = (byte)(Value >> 8);
        destination[3] = (byte)Value;
        return true;
    }

    public override string ToString() => $"{Value >> 24}.{(Value >> 16) & 255}.{(Value >> 8) & 255}.{Value & 255}";
}

/// <summary>
/// One sandbox's mapping between allowed DNS names and synthetic IPv4 addresses (docs/egress.md): the DNS server answers
/// a name with <see cref="GetOrAssign"/>; the proxy turns the original destination back into the name with
/// <see cref="TryGetName(IPAddress, out string?)"/>.
/// </summary>
/// <remarks>
/// A name keeps its address for as long as it stays in the pool. When every address is taken, the least recently
/// used mapping (by assignment or either lookup) gives its address to the new name. A client that cached the old
/// answer then reaches the new name: its Host header or SNI no longer agree with the canonical name (421), and a raw
/// TCP flow is decided by the policy for the new name, so recycling never widens access; answer with a short TTL so
/// stale answers are rare. The network and broadcast addresses of the pool (for prefixes up to /30) and the
/// addresses passed as excluded are never handed out.
/// Thread-safe (one lock, held for a dictionary lookup and a few array writes). Lookups of mapped names and addresses
/// do not allocate; memory grows with the number of names used, not with the pool's size.
/// </remarks>
public sealed class SyntheticAddressPool
{
    private readonly Lock _lock = new();
    private readonly uint _first;
    private readonly uint _last;
    private readonly HashSet<uint> _excluded;
    private readonly Dictionary<string, int> _slotByName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<uint, int> _slotByAddress = [];
    private string?[] _names = new string?[16];
    private uint[] _addresses = new uint[16];
    private int[] _prev = new int[16];
    private int[] _next = new int[16];
    private int _slots;        // slots created so far (each has a fixed address)
    private ulong _cursor;     // next candidate address for a new slot (ulong: may pass 255.255.255.255)
    private int _head = -1;    // most recently used
    private int _tail = -1;    // least recently used

    /// <param name="pool">An IPv4 network such as 198.18.0.0/16 or a /20 carved out for one sandbox.</param>
    /// <param name="excluded">Addresses inside the pool never to hand out (a gateway, the DNS server's own address).</param>
    /// <param name="capacity">At most this many names at once; default: every usable address.</param>
    public SyntheticAddressPool(IPNetwork pool, IEnumerable<IPAddress>? excluded = null, int? capacity = null)
    {
        if (pool.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException("the synthetic address pool must be an IPv4 network", nameof(pool));
        Network = pool;
        var network = IpNetworkValue.From(pool);
        var size = pool.PrefixLength == 0 ? 1UL << 32 : 1UL << (32 - pool.PrefixLength);
        _first = network.Network.V4Value;
        _last = (uint)(_first + size - 1);
        if (pool.PrefixLength <= 30)
        {
            _first++;
            _last--;
        }
        _cursor = _first;
        _excluded = [];
        foreach (var address in excluded ?? [])
        {
            var value = IpValue.From(address);
            if (value.IsV4 && value.V4Value >= _first && value.V4Value <= _last) _excluded.Add(value.V4Value);
        }
        var usable = (long)_last - _first + 1 - _excluded.Count;
        if (usable <= 0) throw new ArgumentException("the pool has no usable address", nameof(pool));
        Capacity = (int)Math.Min(capacity ?? int.MaxValue, Math.Min(usable, 1 << 24));
        if (Capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity));
    }

    public IPNetwork Network { get; }

    /// <summary>How many names can be mapped at once.</summary>
    public int Capacity { get; }

    /// <summary>How many names are mapped now.</summary>
    public int Count
    {
        get { lock (_lock) return _slotByName.Count; }
    }

    /// <summary>
    /// The address for <paramref name="name"/> (canonical, as <see cref="EgressHost"/> gives it; compared
    /// case-insensitively): the one it already has, else a free one, else the least recently used one.
    /// Allocation-free when the name is already mapped.
    /// </summary>
    public SyntheticAddress GetOrAssign(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_lock)
        {
            if (_slotByName.TryGetValue(name, out var slot))
            {
                Touch(slot);
                return new SyntheticAddress(_addresses[slot]);
            }
            if (_slotByName.Count < Capacity && TryNewSlot(out slot))
            {
                PushFront(slot);
            }
            else
            {
                slot = _tail;
                _slotByName.Remove(_names[slot]!);
                Touch(slot);
            }
            _names[slot] = name;
            _slotByName.Add(name, slot);
            return new SyntheticAddress(_addresses[slot]);
        }
    }

    /// <summary>The address of a mapped name, without assigning one. Counts as a use.</summary>
    public bool TryGetAddress(string name, out SyntheticAddress address)
    {
        lock (_lock)
        {
            if (_slotByName.TryGetValue(name, out var slot))
            {
                Touch(slot);
                address = new SyntheticAddress(_addresses[slot]);
                return true;
            }
        }
        address = default;
        return false;
    }

    /// <summary>The name an address stands for (the proxy's original destination). Counts as a use.</summary>
    public bool TryGetName(SyntheticAddress address, [NotNullWhen(true)] out string? name)
    {
        lock (_lock)
        {
            if (_slotByAddress.TryGetValue(address.Value, out var slot) && _names[slot] is { } mapped)
            {
                Touch(slot);
                name = mapped;
                return true;
            }
        }
        name = null;
        return false;
    }

    /// <summary>The same for an <see cref="IPAddress"/>; an IPv4-mapped IPv6 address counts as its IPv4 address.</summary>
    public bool TryGetName(IPAddress address, [NotNullWhen(true)] out string? name)
    {
        name = null;
        return IpValue.TryFrom(address, out var value) && value.IsV4 && TryGetName(new SyntheticAddress(value.V4Value), out name);
    }

    /// <summary>The same for an address in network byte order (4 bytes, or 16 for IPv4-mapped).</summary>
    public bool TryGetName(ReadOnlySpan<byte> address, [NotNullWhen(true)] out string? name)
    {
        name = null;
        return IpValue.TryFrom(address, out var value) && value.IsV4 && TryGetName(new SyntheticAddress(value.V4Value), out name);
    }

    /// <summary>Whether <paramref name="address"/> lies in the pool's network (mapped or not).</summary>
    public bool Contains(IPAddress address) =>
        IpValue.TryFrom(address, out var value) && IpNetworkValue.From(Network).Contains(value);

    /// <summary>Forgets every mapping (addresses are handed out again from the start).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _slotByName.Clear();
            _slotByAddress.Clear();
            Array.Clear(_names);
            _slots = 0;
            _cursor = _first;
            _head = _tail = -1;
        }
    }

    private bool TryNewSlot(out int slot)
    {
        slot = -1;
        while (_cursor <= _last && _excluded.Contains((uint)_cursor)) _cursor++;
        if (_cursor > _last) return false;
        if (_slots == _names.Length)
        {
            var size = Math.Min(_names.Length * 2, Capacity);
            Array.Resize(ref _names, size);
            Array.Resize(ref _addresses, size);
            Array.Resize(ref _prev, size);
            Array.Resize(ref _next, size);
        }
        slot = _slots++;
        _addresses[slot] = (uint)_cursor;
        _slotByAddress.Add((uint)_cursor, slot);
        _cursor++;
        return true;
    }

    private void Touch(int slot)
    {
        if (slot == _head) return;
        Unlink(slot);
        PushFront(slot);
    }

    private void Unlink(int slot)
    {
        var prev = _prev[slot];
        var next = _next[slot];
        if (prev >= 0) _next[prev] = next; else _head = next;
        if (next >= 0) _prev[next] = prev; else _tail = prev;
    }

    private void PushFront(int slot)
    {
        _prev[slot] = -1;
        _next[slot] = _head;
        if (_head >= 0) _prev[_head] = slot;
        _head = slot;
        if (_tail < 0) _tail = slot;
    }
}
