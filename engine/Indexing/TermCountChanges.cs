namespace LatticeKV.Indexing;

/// <summary>
/// The changes one commit makes to a text index's per-term document counts (records at
/// <see cref="IndexKeyEncoding.TermCountKey"/>, varint count, absent when zero): the terms of each
/// document record it replaces leave, the terms of each new document join. Applied by the commit
/// checks that also update <see cref="TextStatistics"/>, when nothing else can write, so the counts
/// are exact in every snapshot and a search needs no posting scan to know a term's document frequency.
/// </summary>
internal sealed class TermCountChanges
{
    private readonly Dictionary<byte[], long> _deltas = new(ByteKeys.Instance);

    /// <summary>Takes away the terms of a replaced document record (null: none).</summary>
    public void Remove(byte[]? document)
    {
        if (document is null) return;
        foreach (var term in TextDocument.Decode(document).Terms.Keys) Change(term, -1);
    }

    /// <summary>Adds the terms of a new document.</summary>
    public void Add(ExtractedKeys keys)
    {
        if (keys.Tokens == 0) return;
        foreach (var term in keys.Keys) Change(term, +1);
    }

    public void WriteTo(LatticeDb db, LiveIndex index, WriteBatch batch)
    {
        foreach (var (term, delta) in _deltas)
        {
            if (delta == 0) continue;
            var key = IndexKeyEncoding.TermCountKey(term);
            long count = Read(db.Get(index.Entries, key)) + delta;
            if (count > 0) batch.Put(index.Entries, key, Encode(count));
            else batch.Delete(index.Entries, key);
        }
    }

    public static long Read(byte[]? value) => value is null ? 0 : Read((ReadOnlySpan<byte>)value);

    public static long Read(ReadOnlySpan<byte> value) => (long)new Coding.SpanReader(value).ReadVarint();

    private static byte[] Encode(long count)
    {
        var w = new Coding.ByteWriter(10);
        w.WriteVarint((ulong)count);
        return w.ToArray();
    }

    private void Change(byte[] term, long by) => _deltas[term] = _deltas.GetValueOrDefault(term) + by;
}
