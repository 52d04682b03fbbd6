using LatticeKV.Coding;

namespace LatticeKV.Replication;

/// <summary>
/// For each origin replica, the highest origin sequence number seen (FORMAT.md §15.4): a
/// replica's state, and a change's causal context (what its writer had seen). Replicas hold each
/// origin's changes as a prefix of that origin's own order, so one number per origin says all.
/// Encoded as <c>count:varint32, count x (origin:16 bytes, sequence:varint64)</c>.
/// </summary>
internal sealed class VersionVector
{
    private const int MaxEntries = 1 << 16;

    /// <summary>
    /// The most origins a replica takes into a vector it keeps or sends: below what any decoder
    /// accepts (<see cref="MaxEntries"/>), so that a vector this replica holds (its own entry and
    /// the dropped changes' added) always still decodes, here and at every peer. Changes from
    /// origins past it are refused (<see cref="CheckOrigins"/>), so a peer inventing origins cannot
    /// make this replica's vectors unreadable and stop it from syncing with anyone.
    /// </summary>
    public const int MaxOrigins = MaxEntries - 256;

    private readonly Dictionary<Guid, ulong> _entries = [];

    public int Count => _entries.Count;

    public IEnumerable<KeyValuePair<Guid, ulong>> Entries => _entries;

    public ulong this[Guid origin] => _entries.GetValueOrDefault(origin);

    /// <summary>Raises <paramref name="origin"/>'s entry to <paramref name="sequence"/> (never lowers it).</summary>
    public void Observe(Guid origin, ulong sequence)
    {
        if (sequence > _entries.GetValueOrDefault(origin)) _entries[origin] = sequence;
    }

    /// <exception cref="SyncProtocolException">The vector holds more than <see cref="MaxOrigins"/> origins.</exception>
    public void CheckOrigins(string what)
    {
        if (_entries.Count > MaxOrigins)
            throw new SyncProtocolException($"{what} would hold {_entries.Count} origin replicas, more than the {MaxOrigins} a replica keeps; the changes are refused");
    }

    public void MergeFrom(VersionVector other)
    {
        foreach (var (origin, sequence) in other._entries) Observe(origin, sequence);
    }

    public VersionVector Clone()
    {
        var copy = new VersionVector();
        copy.MergeFrom(this);
        return copy;
    }

    /// <summary>Writes the vector, entries in origin order (so equal vectors encode alike).</summary>
    public void Encode(ByteWriter w)
    {
        w.WriteVarint((uint)_entries.Count);
        if (_entries.Count == 0) return; // a change's context is often empty: no sorting, no allocation
        Span<byte> id = stackalloc byte[16];
        if (_entries.Count == 1)
        {
            foreach (var (origin, sequence) in _entries) WriteEntry(w, id, origin, sequence);
            return;
        }
        var origins = new Guid[_entries.Count];
        _entries.Keys.CopyTo(origins, 0);
        Array.Sort(origins);
        foreach (var origin in origins) WriteEntry(w, id, origin, _entries[origin]);
    }

    private static void WriteEntry(ByteWriter w, Span<byte> id, Guid origin, ulong sequence)
    {
        origin.TryWriteBytes(id);
        w.Write(id);
        w.WriteVarint(sequence);
    }

    public byte[] ToArray()
    {
        var w = new ByteWriter(1 + _entries.Count * 26);
        Encode(w);
        return w.ToArray();
    }

    /// <summary>Decodes an untrusted vector; anything malformed is a <see cref="CorruptionException"/>.</summary>
    public static VersionVector Decode(ReadOnlySpan<byte> data)
    {
        var r = new SpanReader(data);
        var vv = Read(ref r);
        if (!r.IsEmpty) throw new CorruptionException($"{r.Remaining} bytes after a version vector");
        return vv;
    }

    /// <summary>
    /// The encoded vector at <paramref name="r"/>'s position, checked as <see cref="Read"/> checks
    /// it but not decoded (a caller that often meets the same bytes compares them first).
    /// </summary>
    public static ReadOnlySpan<byte> Delimit(scoped ref SpanReader r)
    {
        var start = r.Rest;
        int count = r.ReadVarintInt(MaxEntries);
        for (int i = 0; i < count; i++)
        {
            r.Take(16);
            r.ReadVarint();
        }
        return start[..(start.Length - r.Remaining)];
    }

    public static VersionVector Read(ref SpanReader r)
    {
        var vv = new VersionVector();
        int count = r.ReadVarintInt(MaxEntries);
        for (int i = 0; i < count; i++)
        {
            var origin = new Guid(r.Take(16));
            vv.Observe(origin, r.ReadVarint());
        }
        return vv;
    }
}
