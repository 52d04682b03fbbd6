using LatticeKV.Cache;

namespace LatticeKV.Sst;

/// <summary>
/// The block cache's memory budget, split between decompressed blocks (a read finds its entry
/// at once) and compressed ones (a read decompresses first, still far cheaper than reading the
/// file: a system call and a copy). While the tables' decompressed data blocks fit the budget,
/// all of it holds decompressed blocks. Once they do not, the compressed tier takes most of the
/// budget, up to the size of the tables whose blocks are stored compressed (blocks a codec could
/// not shrink are stored raw and cached only decompressed), so that the budget covers nearly twice as many blocks,
/// and a tenth or more stays decompressed for the blocks read most. <see cref="Resize"/> moves
/// the split as the tables change. Thread-safe.
/// </summary>
internal sealed class BlockCacheTiers
{
    private readonly long _budget;
    private long _compressedHits;
    private long _compressedBytes;
    private long _rawBytes;

    /// <summary>
    /// Tiers within <paramref name="budget"/> bytes, of which the arrays <paramref name="arrays"/>
    /// may keep for reuse take their capacity: what the cache holds and what it keeps to hold
    /// next stay within the budget together. The compressed tier's own blocks kept for reuse
    /// (<paramref name="buffers"/>, none when not given) are charged to that tier while it has a
    /// share (<see cref="Resize"/>), as they hold nothing otherwise.
    /// </summary>
    public BlockCacheTiers(long budget, BlockArrayPool arrays, NativeBlockPool? buffers = null)
    {
        _budget = Math.Max(0, budget - arrays.Capacity);
        Arrays = arrays;
        Buffers = buffers ?? new NativeBlockPool(0);
        Entries = new CompressedBlockObjects(Buffers);
        Decompressed = new BlockCache<Block>(_budget);
        Compressed = new BlockCache<CompressedBlock>(0);
        Promotions = new PromotionGate(Decompressed);
    }

    /// <summary>Whether a point lookup moves a block read often while compressed to the decompressed tier.</summary>
    public PromotionGate Promotions { get; }

    /// <summary>Decompressed blocks; index and filter memory of open tables is charged here too.</summary>
    public BlockCache<Block> Decompressed { get; }

    /// <summary>Compressed blocks; capacity 0 while everything fits decompressed.</summary>
    public BlockCache<CompressedBlock> Compressed { get; }

    /// <summary>Where decoded blocks get their arrays.</summary>
    public BlockArrayPool Arrays { get; }

    /// <summary>Where compressed blocks get their memory.</summary>
    public NativeBlockPool Buffers { get; }

    /// <summary>Compressed blocks' objects, reused once released.</summary>
    public CompressedBlockObjects Entries { get; }

    /// <summary>Whether blocks read from a file should also be kept compressed.</summary>
    public bool Tiered => Compressed.Capacity > 0;

    public long CompressedHits => Volatile.Read(ref _compressedHits);

    public void RecordCompressedHit() => Interlocked.Increment(ref _compressedHits);

    /// <summary>The data the split was last computed for: the tables' stored and decompressed sizes.</summary>
    public (long Compressed, long Raw) LastSizes => (Volatile.Read(ref _compressedBytes), Volatile.Read(ref _rawBytes));

    /// <summary>
    /// Drops every block of both tiers and takes no more (at close): the compressed tier's
    /// memory is freed at once, not when the collector finalizes its blocks, and so is what its
    /// pool holds; a block a reader still holds is freed when the reader lets go.
    /// </summary>
    public void Clear()
    {
        Compressed.SetCapacity(0);
        Decompressed.SetCapacity(0);
        Buffers.Close();
    }

    /// <summary>
    /// Splits the budget for tables holding <paramref name="compressedBytes"/> on disk and about
    /// <paramref name="rawBytes"/> decompressed.
    /// </summary>
    public void Resize(long compressedBytes, long rawBytes)
    {
        Volatile.Write(ref _compressedBytes, compressedBytes);
        Volatile.Write(ref _rawBytes, rawBytes);
        long available = _budget - Decompressed.PinnedUsage;
        long compressed = 0;
        // A little headroom: decompressed blocks cost more than their data (arrays rounded up, objects).
        if (available > 0 && rawBytes + rawBytes / 8 > available)
            compressed = Math.Min(compressedBytes + compressedBytes / 16, available - available / 10);
        compressed = Math.Max(0, compressed);
        // The tier's pool of free blocks is part of its share; a share no larger is not worth a tier.
        long tier = compressed > Buffers.Capacity ? compressed - Buffers.Capacity : 0;
        if (tier == 0) compressed = 0;
        // Grow the tier that gains after shrinking the other, so the total never exceeds the budget.
        if (tier > Compressed.Capacity)
        {
            Decompressed.SetCapacity(_budget - compressed);
            Compressed.SetCapacity(tier);
        }
        else
        {
            Compressed.SetCapacity(tier);
            Decompressed.SetCapacity(_budget - compressed);
        }
    }
}
