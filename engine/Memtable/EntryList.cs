namespace LatticeKV.Memtable;

/// <summary>
/// Entry addresses in insertion order, in fixed-size chunks that never move, so readers can
/// index published entries while the writer appends. Single writer.
/// </summary>
internal sealed class EntryList
{
    private const int ChunkBits = 13;
    private const int ChunkSize = 1 << ChunkBits;
    private long[][] _chunks = new long[16][];
    private int _count; // published with Volatile after the slot is written

    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes used by listed entries (chunks are allocated ahead; the flush trigger counts use).</summary>
    public long MemoryUsage => (long)Count * sizeof(long);

    public void Append(long address)
    {
        int index = _count;
        int chunk = index >> ChunkBits;
        var chunks = _chunks;
        if (chunk == chunks.Length)
        {
            var grown = new long[chunks.Length * 2][];
            Array.Copy(chunks, grown, chunks.Length);
            chunks = grown;
            Volatile.Write(ref _chunks, chunks);
        }
        chunks[chunk] ??= new long[ChunkSize];
        chunks[chunk][index & (ChunkSize - 1)] = address;
        Volatile.Write(ref _count, index + 1);
    }

    public long this[int index] => Volatile.Read(ref _chunks)[index >> ChunkBits][index & (ChunkSize - 1)];
}
