using System.Text.Json;

namespace Hive.Host;

/// <summary>
/// Which network slot (a /30 of the host's subnet, see SlotAddressing) each sandbox on this host has: a host-local fact,
/// kept in <c>$HIVE_HOME/slots.json</c> (written whole, then renamed) so that a restarted host finds its sandboxes'
/// namespaces and veths again. The lowest free slot is handed out.
/// </summary>
public sealed class SlotTable
{
    private readonly string _path;
    private readonly int _capacity;
    private readonly Dictionary<string, int> _slots;
    private readonly Lock _gate = new();

    /// <param name="seed">Used only when the file does not exist yet: the slots a daemon from before this file kept in its store.</param>
    public SlotTable(string path, int capacity, IReadOnlyDictionary<string, int>? seed = null)
    {
        _path = path;
        _capacity = capacity;
        _slots = File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(path)) ?? []
            : new Dictionary<string, int>(seed ?? new Dictionary<string, int>(), StringComparer.Ordinal);
        if (!File.Exists(path)) Save();
    }

    public int Capacity => _capacity;

    public int Count { get { lock (_gate) return _slots.Count; } }

    public int? Find(string sandbox)
    {
        lock (_gate) return _slots.TryGetValue(sandbox, out var slot) ? slot : null;
    }

    /// <summary>The sandbox's slot, assigning the lowest free one if it has none.</summary>
    public int Assign(string sandbox)
    {
        lock (_gate)
        {
            if (_slots.TryGetValue(sandbox, out var slot)) return slot;
            var used = _slots.Values.ToHashSet();
            for (var s = 0; s < _capacity; s++)
            {
                if (used.Contains(s)) continue;
                _slots[sandbox] = s;
                Save();
                return s;
            }
            throw new HostException(HostErrorKind.Unprocessable, "Host full",
                $"this host runs {_capacity} sandboxes, as many as its subnet holds; delete one or use a larger subnet");
        }
    }

    public void Release(string sandbox)
    {
        lock (_gate)
        {
            if (_slots.Remove(sandbox)) Save();
        }
    }

    /// <summary>Forgets slots of sandboxes not in <paramref name="known"/> (deleted while the host was down).</summary>
    public void Retain(IReadOnlySet<string> known)
    {
        lock (_gate)
        {
            var gone = _slots.Keys.Where(k => !known.Contains(k)).ToList();
            foreach (var g in gone) _slots.Remove(g);
            if (gone.Count > 0) Save();
        }
    }

    public IReadOnlyDictionary<string, int> Snapshot()
    {
        lock (_gate) return new Dictionary<string, int>(_slots, StringComparer.Ordinal);
    }

    private void Save()
    {
        var tmp = _path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_slots));
        File.Move(tmp, _path, overwrite: true);
    }
}
