namespace LatticeKV.Cache;

/// <summary>
/// Which key prefix tends to be read after which: per prefix, the few successors seen most
/// often (a space-saving top-k: a new successor replaces the rarest, inheriting its count plus
/// one), with counts halved once a prefix has seen enough transitions, so that the model follows
/// a workload that changes. At most <c>maxPrefixes</c> prefixes are kept; the least recently
/// read is forgotten first. Not thread-safe: the caller locks.
/// </summary>
internal sealed class PrefixTransitionModel(int maxPrefixes)
{
    public const int SuccessorsPerPrefix = 4;
    private const int DecayAt = 64;
    private readonly Dictionary<byte[], Node> _nodes = new(ByteArrayComparer.Instance);
    private readonly LinkedList<Node> _recency = new(); // most recently read first

    private sealed class Node(byte[] prefix)
    {
        public readonly byte[] Prefix = prefix;
        public readonly byte[]?[] Next = new byte[]?[SuccessorsPerPrefix];
        public readonly int[] Counts = new int[SuccessorsPerPrefix];
        public int Total;
        public LinkedListNode<Node>? Recency;
    }

    public int Count => _nodes.Count;

    /// <summary>Records that <paramref name="to"/> was read right after <paramref name="from"/>.</summary>
    public void Record(byte[] from, byte[] to)
    {
        var node = Touch(from, create: true)!;
        int slot = Array.FindIndex(node.Next, next => next is not null && next.AsSpan().SequenceEqual(to));
        if (slot < 0)
        {
            // An empty slot, else the rarest successor gives way.
            slot = Array.IndexOf(node.Next, null);
            if (slot < 0) slot = Array.IndexOf(node.Counts, node.Counts.Min());
            node.Next[slot] = to;
        }
        node.Counts[slot]++;
        if (++node.Total < DecayAt) return;
        node.Total = 0;
        for (int i = 0; i < SuccessorsPerPrefix; i++)
        {
            node.Counts[i] /= 2;
            node.Total += node.Counts[i];
        }
    }

    /// <summary>
    /// The successors of <paramref name="from"/> seen at least twice and in at least
    /// <paramref name="minConfidence"/> of its transitions, most likely first, into <paramref name="into"/>.
    /// </summary>
    public void Predict(byte[] from, double minConfidence, List<byte[]> into)
    {
        into.Clear();
        if (Touch(from, create: false) is not { } node || node.Total == 0) return;
        for (int i = 0; i < SuccessorsPerPrefix; i++)
            if (node.Next[i] is { } next && node.Counts[i] >= 2 && node.Counts[i] >= minConfidence * node.Total) into.Add(next);
        into.Sort((a, b) => CountOf(node, b).CompareTo(CountOf(node, a)));
    }

    private static int CountOf(Node node, byte[] successor) => node.Counts[Array.IndexOf(node.Next, successor)];

    private Node? Touch(byte[] prefix, bool create)
    {
        if (_nodes.TryGetValue(prefix, out var node))
        {
            _recency.Remove(node.Recency!);
            _recency.AddFirst(node.Recency!);
            return node;
        }
        if (!create) return null;
        node = new Node(prefix);
        node.Recency = _recency.AddFirst(node);
        _nodes.Add(prefix, node);
        while (_nodes.Count > maxPrefixes)
        {
            var oldest = _recency.Last!;
            _recency.RemoveLast();
            _nodes.Remove(oldest.Value.Prefix);
        }
        return node;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
