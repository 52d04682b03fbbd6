using System.Buffers;
using System.Numerics;
using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace LatticeKV.Memtable;

/// <summary>
/// Open-addressing hash table from user key to the newest entry of that key, giving point reads
/// and inserts a constant number of cache misses. A slot packs a 12-bit fingerprint of the hash
/// with the entry's arena address, so mismatched probes never touch the entry.
/// One writer (the group-commit leader) inserts; readers probe without locks. Growing copies
/// every slot into a new table before publishing it, so a reader on the old table still finds
/// every key written before the sequence number it reads at.
/// Slot tables are rented from <see cref="ArrayPool{T}.Shared"/> and handed back by
/// <see cref="Release"/> once no reader can probe them: a table is as large as the memtable's
/// key count, so each memtable would otherwise leave one on the large object heap, where only
/// a full collection frees it and the free space it leaves fragments the heap.
/// </summary>
internal sealed class HashIndex
{
    private const int MinCapacity = 1024;
    private readonly Arena _arena;
    private long[] _slots; // 0 = empty; published with Volatile
    private int _count;
    // Writer-owned: tables replaced by growth, which readers may still probe until Release.
    private List<long[]>? _retired;

    /// <summary>
    /// An index sized for <paramref name="expectedEntries"/> (what the memtable before held),
    /// so a steady writer's index never grows: each growth leaves the old table behind as large
    /// garbage that only a full collection frees.
    /// </summary>
    public HashIndex(Arena arena, int expectedEntries = 0)
    {
        _arena = arena;
        _slots = RentEmpty((int)Math.Min(1 << 30, BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinCapacity, expectedEntries * 2 + expectedEntries / 4))));
    }

    /// <summary>Slots of the current table (a power of two).</summary>
    internal int Capacity => Volatile.Read(ref _slots).Length;

    /// <summary>
    /// A zeroed table of exactly <paramref name="length"/> slots (a power of two). A pooled
    /// array holds another memtable's slots: they must read as empty here.
    /// </summary>
    private static long[] RentEmpty(int length)
    {
        var slots = ArrayPool<long>.Shared.Rent(length);
        if (slots.Length != length)
        {
            // The pool gives exact powers of two up to its largest size; beyond it, a plain array.
            ArrayPool<long>.Shared.Return(slots);
            return new long[length];
        }
        Array.Clear(slots);
        return slots;
    }

    /// <summary>
    /// Hands the slot tables back to the pool. Only when no reader can probe this index any more
    /// (the memtable's last reference is gone); the index must not be used afterwards.
    /// </summary>
    public void Release()
    {
        if (_retired is not null)
        {
            foreach (var old in _retired) ArrayPool<long>.Shared.Return(old);
            _retired = null;
        }
        var slots = Interlocked.Exchange(ref _slots, []);
        if (slots.Length > 0) ArrayPool<long>.Shared.Return(slots);
    }

    /// <summary>Slot bytes attributable to the keys held (the table stays at most half full).</summary>
    public long MemoryUsage => 2L * sizeof(long) * Volatile.Read(ref _count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> userKey) => XxHash3.HashToUInt64(userKey);

    /// <summary>The newest entry of <paramref name="userKey"/>, or -1.</summary>
    public long Find(ulong hash, ReadOnlySpan<byte> userKey)
    {
        var slots = Volatile.Read(ref _slots);
        int mask = slots.Length - 1;
        ushort fingerprint = Fingerprint(hash);
        for (int pos = (int)hash & mask; ; pos = (pos + 1) & mask)
        {
            long slot = Volatile.Read(ref slots[pos]);
            if (slot == 0) return -1;
            if ((ushort)((ulong)slot >> AddressBits) != fingerprint) continue;
            long address = slot & AddressMask;
            if (MemEntry.UserKey(_arena, address).SequenceEqual(userKey)) return address;
        }
    }

    /// <summary>Writer only: makes <paramref name="address"/> the newest entry of its key.</summary>
    public void Publish(ulong hash, ReadOnlySpan<byte> userKey, long address, long existing)
    {
        var slots = _slots;
        int mask = slots.Length - 1;
        ushort fingerprint = Fingerprint(hash);
        long packed = ((long)fingerprint << AddressBits) | address;
        for (int pos = (int)hash & mask; ; pos = (pos + 1) & mask)
        {
            long slot = slots[pos];
            if (slot == 0)
            {
                Volatile.Write(ref slots[pos], packed);
                Volatile.Write(ref _count, _count + 1);
                if (_count * 2 > slots.Length) Grow();
                return;
            }
            if ((slot & AddressMask) == existing && existing >= 0)
            {
                Volatile.Write(ref slots[pos], packed);
                return;
            }
        }
    }

    private void Grow()
    {
        var old = _slots;
        var grown = RentEmpty(old.Length * 2);
        // The old table may still be read by a reader that took it before: returned by Release.
        (_retired ??= []).Add(old);
        int mask = grown.Length - 1;
        foreach (long slot in old)
        {
            if (slot == 0) continue;
            // Slots keep only the high hash bits; the key is read for its position anyway, so
            // hashing it again costs less than keeping four bytes of hash in every entry.
            ulong hash = Hash(MemEntry.UserKey(_arena, slot & AddressMask));
            int pos = (int)hash & mask;
            while (grown[pos] != 0) pos = (pos + 1) & mask;
            grown[pos] = slot;
        }
        Volatile.Write(ref _slots, grown);
    }

    /// <summary>Arena addresses are below 2^52: chunk index (20 bits, see <see cref="Arena.MaxChunks"/>) and offset (32 bits).</summary>
    private const int AddressBits = 52;
    private const long AddressMask = (1L << AddressBits) - 1;

    /// <summary>The top 12 hash bits, never zero, so an occupied slot is never 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Fingerprint(ulong hash) => (ushort)((hash >> AddressBits) | 1);
}
