using System.Collections.Concurrent;
using Hive.Files.Backends;

namespace Hive.Files.Mediation;

/// <summary>
/// An inode the kernel knows: one per in-sandbox path (a hard-linked file seen under two names is two nodes, so every
/// node has exactly one path for the ACL). The path is the full in-sandbox path (<c>/workspace/a/b</c>) and changes
/// only on rename, by replacing the array.
/// </summary>
internal sealed class Node
{
    public Node(ulong id, Node? parent, byte[] name, byte[] path, ulong ino, uint type)
    {
        Id = id;
        Parent = parent;
        Name = name;
        Path = path;
        Ino = ino;
        Type = type;
    }

    public ulong Id { get; }
    public Node? Parent { get; set; }
    public byte[] Name { get; set; }
    public byte[] Path { get; set; }
    /// <summary>The backend's inode number when the node was made: a different one at the same path is a different file.</summary>
    public ulong Ino { get; set; }
    /// <summary>The link count last seen: above one, other nodes may show the same file.</summary>
    public uint Nlink { get; set; }
    /// <summary>S_IFMT bits.</summary>
    public uint Type { get; set; }
    /// <summary>The kernel's lookup count; the node goes when FORGET brings it to zero.</summary>
    public long Lookups;
    /// <summary>Removed (unlinked, replaced): path-based operations answer ENOENT; open handles keep working.</summary>
    public bool Detached { get; set; }
    public Dictionary<byte[], Node>? Children { get; set; }

    // Passthrough: the kernel attaches one backing file to an inode; every open of it must name the same one.
    public int BackingId;
    public int BackingRefs;

    public bool IsDirectory => Type == 0x4000;
}

/// <summary>Node ids to nodes, and the tree of names that keeps paths right across renames.</summary>
internal sealed class NodeTable
{
    private readonly ConcurrentDictionary<ulong, Node> _byId = new();
    private readonly Lock _tree = new();
    private long _nextId;

    /// <summary>Bits of a node id below the epoch: ids given out in one life of a session never repeat in another.</summary>
    public const int EpochShift = 40;

    /// <param name="rootPath">The in-sandbox path of the mount.</param>
    /// <param name="epoch">
    /// How many times this FUSE session has been taken over by a new server (a daemon restarted under a kept session):
    /// the kernel still holds node ids from earlier lives, so new ones start at <c>epoch &lt;&lt; 40</c>. The root is always 1.
    /// </param>
    public NodeTable(byte[] rootPath, int epoch = 0)
    {
        Root = new Node(1, null, [], rootPath, 0, 0x4000) { Lookups = 1 };
        _byId[1] = Root;
        _nextId = ((long)epoch << EpochShift) + 1;
    }

    public Node Root { get; }
    public int Count => _byId.Count;

    public Node? Get(ulong id) => _byId.TryGetValue(id, out var node) ? node : null;

    /// <summary>The nodes that show backend inode <paramref name="ino"/> (hard links seen under several names).</summary>
    public List<Node> WithIno(ulong ino)
    {
        var nodes = new List<Node>();
        foreach (var node in _byId.Values)
            if (node.Ino == ino) nodes.Add(node);
        return nodes;
    }

    /// <summary>Snapshot of every node (for cache invalidation after an ACL change).</summary>
    public Node[] All() => _byId.Values.ToArray();

    /// <summary>
    /// The node for <paramref name="name"/> in <paramref name="parent"/>, with one more kernel lookup. A node already
    /// there for another file (the name now points elsewhere) is detached and a new one made.
    /// </summary>
    public Node Remember(Node parent, ReadOnlySpan<byte> name, in FileStat stat)
    {
        var type = stat.Mode & 0xF000;
        lock (_tree)
        {
            parent.Children ??= new Dictionary<byte[], Node>(ByteArrayComparer.Instance);
            var children = parent.Children.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (children.TryGetValue(name, out var existing))
            {
                if (existing.Ino == stat.Ino && existing.Type == type)
                {
                    existing.Lookups++;
                    return existing;
                }
                parent.Children.Remove(existing.Name);
                existing.Detached = true;
                existing.Parent = null;
            }
            var nameBytes = name.ToArray();
            var node = new Node((ulong)Interlocked.Increment(ref _nextId), parent, nameBytes, Join(parent.Path, name), stat.Ino, type) { Lookups = 1 };
            parent.Children[nameBytes] = node;
            _byId[node.Id] = node;
            return node;
        }
    }

    /// <summary>
    /// Follows <paramref name="path"/> (names separated by '/', relative to the root; empty is the root) through the
    /// nodes the kernel knows. Returns the deepest node reached; <paramref name="missing"/> is the first name with no
    /// node under it, or empty when the whole path was reached.
    /// </summary>
    public Node Walk(ReadOnlySpan<byte> path, out ReadOnlySpan<byte> missing)
    {
        missing = [];
        lock (_tree)
        {
            var node = Root;
            while (!path.IsEmpty)
            {
                var slash = path.IndexOf((byte)'/');
                var name = slash < 0 ? path : path[..slash];
                path = slash < 0 ? [] : path[(slash + 1)..];
                if (name.IsEmpty) continue;
                if (node.Children is null || !node.Children.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var next))
                {
                    missing = name;
                    return node;
                }
                node = next;
            }
            return node;
        }
    }

    /// <summary>The node for <paramref name="name"/> in <paramref name="parent"/>, if the kernel knows one.</summary>
    public Node? Child(Node parent, ReadOnlySpan<byte> name)
    {
        lock (_tree)
            return parent.Children is not null && parent.Children.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var node) ? node : null;
    }

    /// <summary>FORGET: drops <paramref name="count"/> lookups; at zero the node is gone.</summary>
    public void Forget(ulong id, ulong count)
    {
        if (id == Root.Id) return;
        lock (_tree)
        {
            if (!_byId.TryGetValue(id, out var node)) return;
            node.Lookups -= (long)Math.Min(count, long.MaxValue);
            if (node.Lookups > 0) return;
            _byId.TryRemove(id, out _);
            if (node.Parent?.Children is { } siblings && siblings.TryGetValue(node.Name, out var current) && ReferenceEquals(current, node))
                siblings.Remove(node.Name);
            node.Parent = null;
            node.Detached = true;
        }
    }

    /// <summary>After unlink/rmdir: the name is gone; the node lives on for its open handles until forgotten.</summary>
    public Node? Detach(Node parent, ReadOnlySpan<byte> name)
    {
        lock (_tree)
        {
            if (parent.Children is null) return null;
            var children = parent.Children.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (!children.TryGetValue(name, out var node)) return null;
            parent.Children.Remove(node.Name);
            node.Detached = true;
            node.Parent = null;
            return node;
        }
    }

    /// <summary>After a successful rename: moves the node (and, for RENAME_EXCHANGE, the other one back), fixing every path below.</summary>
    public void Move(Node fromParent, ReadOnlySpan<byte> fromName, Node toParent, ReadOnlySpan<byte> toName, bool exchange)
    {
        lock (_tree)
        {
            var moved = Take(fromParent, fromName);
            var other = Take(toParent, toName);
            if (moved is not null) Put(moved, toParent, toName.ToArray());
            if (other is not null)
            {
                if (exchange) Put(other, fromParent, fromName.ToArray());
                else
                {
                    other.Detached = true;
                    other.Parent = null;
                }
            }
        }
    }

    private static Node? Take(Node parent, ReadOnlySpan<byte> name)
    {
        if (parent.Children is null) return null;
        var children = parent.Children.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!children.TryGetValue(name, out var node)) return null;
        parent.Children.Remove(node.Name);
        return node;
    }

    private static void Put(Node node, Node parent, byte[] name)
    {
        node.Parent = parent;
        node.Name = name;
        parent.Children ??= new Dictionary<byte[], Node>(ByteArrayComparer.Instance);
        parent.Children[name] = node;
        Repath(node);
    }

    private static void Repath(Node node)
    {
        node.Path = Join(node.Parent!.Path, node.Name);
        if (node.Children is null) return;
        foreach (var child in node.Children.Values) Repath(child);
    }

    public static byte[] Join(byte[] parent, ReadOnlySpan<byte> name)
    {
        var path = new byte[parent.Length + 1 + name.Length];
        parent.CopyTo(path, 0);
        path[parent.Length] = (byte)'/';
        name.CopyTo(path.AsSpan(parent.Length + 1));
        return path;
    }
}

/// <summary>Byte-array keys compared by content, looked up by span without allocating.</summary>
internal sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly ByteArrayComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
