using System.Buffers.Binary;
using System.Collections.Concurrent;
using LatticeKV.Blob;
using LatticeKV.Cache;

namespace LatticeKV.Sst;

/// <summary>
/// Decoded blob values (FORMAT.md §21) kept in the database's block cache beside its data blocks,
/// so a value read again costs neither a read of its blob file nor zstd decoding. They share the
/// block cache's capacity and its S3-FIFO eviction, charged by size.
/// </summary>
/// <remarks>
/// Keys: each blob file has its own slot array, found by file number, and file numbers are never
/// reused, so a value is never found under another file, and a file rewritten by garbage
/// collection (a new number) starts with no cached value. Within a file, a value's slot is its
/// record offset hashed onto the file's record count; the cached block records the offset it
/// holds, so two records sharing a slot are told apart (the second is then simply not cached).
/// The cache belongs to one database and is never shared with another.
/// A value of an encrypted family stays in memory decrypted for as long as the cache keeps it,
/// exactly as its tables' decrypted data blocks do; when its file is deleted its values are no
/// longer found and leave as the cache evicts them, again as a deleted table's blocks do.
/// Thread-safe.
/// </remarks>
internal sealed class BlobValueCache(BlockCache<Block> cache)
{
    // A value block: the value, the record's offset (fixed64), then a block's single restart
    // (offset 0) and restart count (1), so it is a valid Block whose first bytes are the value.
    private const int TrailerSize = 16;

    // A file's slot array has one slot per record, up to this many (a file of small records).
    private const int MaxSlots = 1 << 20;

    private readonly ConcurrentDictionary<long, BlockCache<Block>.Slots> _files = new();
    private long _hits;
    private long _misses;

    /// <summary>Lookups that found the value.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that had to read the value from its blob file.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The value <paramref name="reference"/> names, pinned for the caller, or null when the cache does not hold it.</summary>
    public Block? Lookup(in BlobReference reference)
    {
        if (_files.TryGetValue(reference.FileNumber, out var slots)
            && BlockCache<Block>.Find(slots, Slot(slots, reference.Offset)) is { } block && block.TryPin())
        {
            if (Holds(block, reference))
            {
                Interlocked.Increment(ref _hits);
                return block;
            }
            block.Unpin();
        }
        Interlocked.Increment(ref _misses);
        return null;
    }

    /// <summary>
    /// Offers <paramref name="block"/> (made by <see cref="NewBlock(int, long, BlockArrayPool?)"/> for <paramref name="reference"/>)
    /// to the cache; <paramref name="recordCount"/> is the records of its file (sizes the file's slots).
    /// </summary>
    public void Insert(in BlobReference reference, Block block, long recordCount)
    {
        if (!_files.TryGetValue(reference.FileNumber, out var slots))
        {
            var fresh = new BlockCache<Block>.Slots((int)Math.Clamp(recordCount, 1, MaxSlots), reference.FileNumber) { InHotSet = false };
            if (_files.TryAdd(reference.FileNumber, fresh))
            {
                // The slot array is memory the cache's budget pays for, as a table's is.
                cache.AddPinned(fresh.Count * 8L);
                slots = fresh;
            }
            else if (!_files.TryGetValue(reference.FileNumber, out slots))
            {
                return; // forgotten meanwhile: its file is being deleted
            }
        }
        cache.Insert(slots, Slot(slots, reference.Offset), block, block.Charge);
    }

    /// <summary>Stops finding values of blob file <paramref name="fileNumber"/>, which is being deleted.</summary>
    public void Forget(long fileNumber)
    {
        if (_files.TryRemove(fileNumber, out var slots)) cache.AddPinned(-slots.Count * 8L);
    }

    /// <summary>
    /// A block holding <paramref name="value"/>, the value of the record at <paramref name="offset"/>,
    /// pinned for its creator. Its array comes from <paramref name="arrays"/> and goes back there
    /// once the last holder lets go: a value kept by the cache lives long enough to be promoted,
    /// and at a high miss rate fresh arrays would make the collector's work on a heap the size of
    /// the cache dominate reads (see <see cref="BlockArrayPool"/>).
    /// </summary>
    public static Block NewBlock(ReadOnlySpan<byte> value, long offset, BlockArrayPool? arrays = null)
    {
        var block = NewBlock(value.Length, offset, arrays);
        value.CopyTo(block.Data);
        return block;
    }

    /// <summary>As <see cref="NewBlock(ReadOnlySpan{byte}, long, BlockArrayPool?)"/>, for a value of <paramref name="valueLength"/> bytes the caller writes into <see cref="Value"/>.</summary>
    public static Block NewBlock(int valueLength, long offset, BlockArrayPool? arrays = null)
    {
        int length = valueLength + TrailerSize;
        var data = arrays?.Rent(length) ?? GC.AllocateUninitializedArray<byte>(length);
        var trailer = data.AsSpan(valueLength, TrailerSize);
        BinaryPrimitives.WriteInt64LittleEndian(trailer, offset);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[12..], 1);
        return new Block(data, length, arrays);
    }

    /// <summary>The value bytes of a block of <see cref="NewBlock(int, long, BlockArrayPool?)"/> (from offset 0).</summary>
    public static Span<byte> Value(Block block) => block.Data.AsSpan(0, ValueLength(block));

    /// <summary>The length of the value a block of <see cref="NewBlock(ReadOnlySpan{byte}, long, BlockArrayPool?)"/> holds (from offset 0).</summary>
    public static int ValueLength(Block block) => block.Length - TrailerSize;

    private static bool Holds(Block block, in BlobReference reference)
        => block.Length == reference.ValueSize + TrailerSize
           && BinaryPrimitives.ReadInt64LittleEndian(block.Data.AsSpan(block.Length - TrailerSize)) == reference.Offset;

    private static int Slot(BlockCache<Block>.Slots slots, long offset)
        => (int)(((ulong)offset * 0x9E3779B97F4A7C15UL) % (ulong)slots.Count);
}
