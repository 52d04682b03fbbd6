using LatticeKV.Cache;

namespace LatticeKV.Sst;

/// <summary>
/// The block cache's memory budget, split between decompressed blocks (a read finds its entry
/// at once) and compressed ones (a read decompresses first, still far cheaper than reading the
/// file: a system call and a copy). While the tables' decompressed data blocks fit the budget,
/// all of it holds decompressed blocks. Once they do not, the compressed tier takes most of the
/// budget, up to the size of the tables, so that the budget covers nearly twice as many blocks,
/// and a tenth or more stays decompressed for the blocks read most. <see cref="Resize"/> moves
/// the split as the tables change. Thread-safe.
/// <para>
/// The compressed tier fills only with blocks that are read, so while the reads cover part of
/// the tables (an index family nobody queries, cold history) much of its share would hold
/// nothing. That part is lent to the decompressed tier: the decompressed tier's capacity is the
/// budget less the compressed tier's usage and one <see cref="LendingStep"/>, and it shrinks
/// again, a step at a time, as the compressed tier fills towards its share
/// (<see cref="OnCompressedInsert"/>). The two tiers together never hold more than the budget.
/// </para>
/// </summary>
internal sealed class BlockCacheTiers
{
    private readonly long _budget;
    private readonly Lock _lock = new();
    private long _share;    // the compressed tier's capacity from the last Resize; written under _lock
    private long _reserved; // what the decompressed tier leaves the compressed one: its usage when last lent plus a step, at most _share
    private long _compressedHits;
    private long _compressedBytes;
    private long _rawBytes;

    public BlockCacheTiers(long budget, BlockArrayPool arrays)
    {
        _budget = Math.Max(0, budget);
        Arrays = arrays;
        Decompressed = new BlockCache<Block>(_budget);
        Compressed = new BlockCache<CompressedBlock>(0);
    }

    /// <summary>Decompressed blocks; index and filter memory of open tables is charged here too.</summary>
    public BlockCache<Block> Decompressed { get; }

    /// <summary>Compressed blocks; capacity 0 while everything fits decompressed.</summary>
    public BlockCache<CompressedBlock> Compressed { get; }

    /// <summary>Where blocks of both tiers get their arrays.</summary>
    public BlockArrayPool Arrays { get; }

    /// <summary>Whether blocks read from a file should also be kept compressed.</summary>
    public bool Tiered => Compressed.Capacity > 0;

    public long CompressedHits => Volatile.Read(ref _compressedHits);

    public void RecordCompressedHit() => Interlocked.Increment(ref _compressedHits);

    /// <summary>The data the split was last computed for: the tables' stored and decompressed sizes.</summary>
    public (long Compressed, long Raw) LastSizes => (Volatile.Read(ref _compressedBytes), Volatile.Read(ref _rawBytes));

    /// <summary>
    /// Splits the budget for tables holding <paramref name="compressedBytes"/> on disk and about
    /// <paramref name="rawBytes"/> decompressed.
    /// </summary>
    public void Resize(long compressedBytes, long rawBytes)
    {
        lock (_lock) ResizeLocked(compressedBytes, rawBytes);
    }

    private void ResizeLocked(long compressedBytes, long rawBytes)
    {
        Volatile.Write(ref _compressedBytes, compressedBytes);
        Volatile.Write(ref _rawBytes, rawBytes);
        long available = _budget - Decompressed.PinnedUsage;
        long compressed = 0;
        // A little headroom: decompressed blocks cost more than their data (arrays rounded up, objects).
        if (available > 0 && rawBytes + rawBytes / 8 > available)
            compressed = Math.Min(compressedBytes + compressedBytes / 16, available - available / 10);
        compressed = Math.Max(0, compressed);
        Volatile.Write(ref _share, compressed);
        // A smaller share evicts compressed blocks first; the decompressed tier then gets what
        // the compressed one does not hold (never more than the budget less its usage).
        Compressed.SetCapacity(compressed);
        Lend();
    }

    /// <summary>
    /// How much of the compressed tier's unused share is kept back from the decompressed tier, so
    /// that it is resized once per this many bytes of compressed blocks inserted, not per block.
    /// </summary>
    public long LendingStep => Math.Max(64 * 1024, _budget / 64);

    /// <summary>
    /// Called after a block entered the compressed tier: once the tier holds more than it was
    /// left, the decompressed tier gives back another step (evicting what no longer fits).
    /// </summary>
    public void OnCompressedInsert()
    {
        long reserved = Volatile.Read(ref _reserved);
        // Nothing is lent once the whole share is reserved (a tier of a tiny cache may hold a little more than its capacity).
        if (Compressed.Usage <= reserved || reserved >= Volatile.Read(ref _share)) return;
        lock (_lock) Lend();
    }

    // Caller holds _lock.
    private void Lend()
    {
        long reserved = Math.Min(_share, Compressed.Usage + LendingStep);
        Volatile.Write(ref _reserved, reserved);
        Decompressed.SetCapacity(_budget - reserved);
    }
}
