using LatticeKV.Io;
using LatticeKV.Sst;

namespace LatticeKV.Memtable;

/// <summary>
/// A bloom filter over a memtable's user keys, set by the writer as each new key arrives (the
/// hash is the one the index computes anyway) and asked only once the memtable's lookups have
/// moved from the hash index to the sorted runs (<see cref="MemTable.DropIndex"/>): most keys a
/// reader asks a memtable being flushed for are not in it, and the filter answers those with one
/// cache line where a binary search of the runs touches a line at every step. Built on insert
/// rather than at the flush so the flush pays nothing for it, as RocksDB's memtable bloom filter
/// is. Sized for the entries the memtable is expected to hold at 10 bits a key (a tenth of the
/// index's 12 bytes a slot); more keys than that only raise its false positives. Its bytes live
/// outside the managed heap and are freed with the memtable.
/// </summary>
internal sealed class LookupFilter
{
    // As a table's default filter: few absent keys still search the runs.
    private const int BitsPerKey = 10;

    private readonly NativeBuffer<byte> _bits;
    private readonly int _length;

    /// <summary>An empty filter for about <paramref name="expectedKeys"/> keys.</summary>
    public LookupFilter(int expectedKeys)
    {
        _bits = new NativeBuffer<byte>(BloomFilter.SizeFor(Math.Max(1, expectedKeys), BitsPerKey));
        _length = BloomFilter.Initialize(Math.Max(1, expectedKeys), BitsPerKey, _bits.Span);
    }

    /// <summary>Bytes the filter holds.</summary>
    public long MemoryUsage => _bits.Length;

    /// <summary>Adds a key by its <see cref="HashIndex.Hash"/>. Writer only, before the entry is published.</summary>
    public void Add(ulong hash) => BloomFilter.Add(_bits.Span[.._length], hash);

    /// <summary>
    /// False when no entry of <paramref name="userKey"/> was added; true when one may have been.
    /// Only after the writer's last <see cref="Add"/> is published (the memtable is sealed and its
    /// runs published after it).
    /// </summary>
    public bool MayContain(ReadOnlySpan<byte> userKey) => BloomFilter.MayContain(_bits.Span[.._length], HashIndex.Hash(userKey));

    /// <summary>Whether <see cref="Free"/> has run (for tests).</summary>
    internal bool IsFreed => _bits.IsFreed;

    /// <summary>Frees the bits: only when no reader can reach the memtable any more.</summary>
    public void Free() => _bits.Dispose();
}
