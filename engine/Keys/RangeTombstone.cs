namespace LatticeKV.Keys;

/// <summary>A range deletion [<see cref="Begin"/>, <see cref="End"/>) of user keys written at <see cref="Sequence"/>.</summary>
internal sealed record RangeTombstone(byte[] Begin, byte[] End, ulong Sequence);

/// <summary>
/// Range tombstones cut into non-overlapping fragments, each listing the sequence numbers of
/// every tombstone that covers it (descending). This is the shape every reader needs:
/// a point lookup binary-searches one fragment; compaction asks whether a snapshot lies
/// between an entry and the tombstone that would hide it. Immutable once built.
/// </summary>
internal sealed class FragmentedRangeTombstones
{
    public static readonly FragmentedRangeTombstones Empty = new([], [], [], null);

    private readonly byte[][] _starts;
    private readonly byte[][] _ends;
    private readonly ulong[][] _seqs; // per fragment, descending
    private readonly InternalKeyComparator? _cmp;

    private FragmentedRangeTombstones(byte[][] starts, byte[][] ends, ulong[][] seqs, InternalKeyComparator? cmp)
    {
        _starts = starts;
        _ends = ends;
        _seqs = seqs;
        _cmp = cmp;
    }

    public int Count => _starts.Length;

    public bool IsEmpty => _starts.Length == 0;

    public ReadOnlySpan<byte> Start(int i) => _starts[i];

    public ReadOnlySpan<byte> End(int i) => _ends[i];

    public ReadOnlySpan<ulong> Sequences(int i) => _seqs[i];

    /// <summary>Fragments <paramref name="tombstones"/>, keeping only those with sequence at most <paramref name="maxSequence"/>.</summary>
    public static FragmentedRangeTombstones Build(IEnumerable<RangeTombstone> tombstones, InternalKeyComparator cmp, ulong maxSequence = InternalKey.MaxSequence)
    {
        var list = new List<RangeTombstone>();
        foreach (var t in tombstones)
            if (t.Sequence <= maxSequence && cmp.CompareUser(t.Begin, t.End) < 0) list.Add(t);
        if (list.Count == 0) return Empty;

        var points = new List<byte[]>(list.Count * 2);
        foreach (var t in list)
        {
            points.Add(t.Begin);
            points.Add(t.End);
        }
        var comparer = Comparer<byte[]>.Create((a, b) => cmp.CompareUser(a, b));
        points.Sort(comparer);
        var unique = new List<byte[]>(points.Count);
        foreach (var p in points)
            if (unique.Count == 0 || cmp.CompareUser(unique[^1], p) != 0) unique.Add(p);

        list.Sort((a, b) => cmp.CompareUser(a.Begin, b.Begin));
        var starts = new List<byte[]>();
        var ends = new List<byte[]>();
        var seqs = new List<ulong[]>();
        var active = new List<RangeTombstone>();
        int next = 0;
        var covering = new List<ulong>();
        for (int i = 0; i + 1 < unique.Count; i++)
        {
            byte[] lo = unique[i], hi = unique[i + 1];
            while (next < list.Count && cmp.CompareUser(list[next].Begin, lo) <= 0) active.Add(list[next++]);
            active.RemoveAll(t => cmp.CompareUser(t.End, lo) <= 0);
            covering.Clear();
            foreach (var t in active)
                if (cmp.CompareUser(t.Begin, lo) <= 0 && cmp.CompareUser(t.End, hi) >= 0) covering.Add(t.Sequence);
            if (covering.Count == 0) continue;
            covering.Sort((a, b) => b.CompareTo(a));
            var distinct = covering.Distinct().ToArray();
            // Extend the previous fragment instead of starting a new one when nothing changes.
            if (ends.Count > 0 && cmp.CompareUser(ends[^1], lo) == 0 && seqs[^1].AsSpan().SequenceEqual(distinct))
            {
                ends[^1] = hi;
                continue;
            }
            starts.Add(lo);
            ends.Add(hi);
            seqs.Add(distinct);
        }
        return new FragmentedRangeTombstones([.. starts], [.. ends], [.. seqs], cmp);
    }

    /// <summary>Index of the fragment containing <paramref name="userKey"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> userKey)
    {
        if (_cmp is null) return -1;
        int lo = 0, hi = _starts.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_cmp.CompareUser(_starts[mid], userKey) <= 0) lo = mid + 1;
            else hi = mid - 1;
        }
        // hi is the last fragment starting at or before the key.
        if (hi < 0) return -1;
        return _cmp.CompareUser(userKey, _ends[hi]) < 0 ? hi : -1;
    }

    /// <summary>The newest tombstone sequence at most <paramref name="snapshot"/> covering <paramref name="userKey"/>, or 0.</summary>
    public ulong MaxCoveringSequence(ReadOnlySpan<byte> userKey, ulong snapshot)
    {
        int i = Find(userKey);
        if (i < 0) return 0;
        foreach (ulong s in _seqs[i])
            if (s <= snapshot) return s;
        return 0;
    }

    /// <summary>Every tombstone, un-fragmented as fragments (one per fragment and sequence).</summary>
    public IEnumerable<RangeTombstone> AsTombstones()
    {
        for (int i = 0; i < _starts.Length; i++)
            foreach (ulong s in _seqs[i]) yield return new RangeTombstone(_starts[i], _ends[i], s);
    }
}
