using System.IO.Hashing;
using System.Runtime.CompilerServices;
using LatticeKV.Io;

namespace LatticeKV.Memtable;

/// <summary>
/// Open-addressing hash table from user key to the newest entry of that key, giving point reads
/// and inserts a constant number of cache misses. A slot packs a 12-bit fingerprint of the hash
/// with the entry's arena address, so mismatched probes never touch the entry.
/// Slots cost eight bytes a slot, so the table is kept at most three quarters full rather than
/// half: a memtable's table is as large as its key count, and two are live while one memtable is
/// switched out and the next filled (until the flush has sorted the first and drops its index).
/// One writer (the group-commit leader) inserts; readers probe without locks. Growing copies
/// every slot into a new table before publishing it, so a reader on the old table still finds
/// every key written before the sequence number it reads at.
/// Slot tables live outside the managed heap (<see cref="NativeBuffer{T}"/>, zeroed when made)
/// and are freed by <see cref="Release"/> once no reader can probe them: a table is as large as
/// the memtable's key count, so on the managed heap each memtable would leave one on the large
/// object heap until a full collection, and a pool of them would keep tables resident that no
/// memtable uses. Tables outgrown are freed earlier, by <see cref="ReleaseOutgrown"/>, once the
/// memtable is immutable and no reader that could have taken one is left.
/// A table has any number of slots (a key's first slot is a multiply-shift of its hash, not a
/// mask), so it is sized for what is expected rather than rounded up to a power of two, and
/// <see cref="MemoryUsage"/> is the bytes its tables really hold: the memtable counts them
/// against the write buffer.
/// </summary>
internal sealed class HashIndex
{
    // Small, so a small write buffer's memtable is not filled by its empty table.
    private const int MinCapacity = 64;
    private readonly Arena _arena;
    private NativeBuffer<long> _slots; // slot 0 = empty; published with Volatile
    private int _count;
    private long _tableBytes; // of the current table and the outgrown ones not yet freed
    // Tables replaced by growth, which readers may still probe until ReleaseOutgrown or Release.
    // The writer adds to it; after the last growth, one of those two takes it (Interlocked).
    private List<NativeBuffer<long>>? _retired;

    /// <summary>
    /// An index sized for <paramref name="expectedEntries"/> (what the memtable before held),
    /// so a steady writer's index never grows: each growth keeps the old table (a reader may
    /// still probe it) until the memtable goes. One and a half slots per expected entry, rounded
    /// up to a power of two, leaves room for some more entries than expected before the table is
    /// three quarters full and grows.
    /// </summary>
    public HashIndex(Arena arena, int expectedEntries = 0)
    {
        _arena = arena;
        long wanted = Math.Max(MinCapacity, expectedEntries + (long)expectedEntries / 2);
        _slots = new NativeBuffer<long>((int)Math.Min(MaxCapacity, wanted));
        _tableBytes = (long)_slots.Length * sizeof(long);
    }

    private const int MaxCapacity = 1 << 30;

    /// <summary>Slots of the current table.</summary>
    internal int Capacity => Volatile.Read(ref _slots).Length;

    /// <summary>The current table and those it outgrew (for tests of when they are freed). Writer only.</summary>
    internal IReadOnlyList<NativeBuffer<long>> Tables => [_slots, .. _retired ?? []];

    /// <summary>
    /// Frees the slot tables. Only when no reader can probe this index any more (the memtable's
    /// last reference is gone); the index must not be used afterwards. An index never released
    /// (a memtable never referenced) leaves its tables to the collector.
    /// </summary>
    public void Release()
    {
        ReleaseOutgrown();
        var table = Interlocked.Exchange(ref _slots, NativeBuffer<long>.Empty);
        Interlocked.Add(ref _tableBytes, -(long)table.Length * sizeof(long));
        table.Dispose();
    }

    /// <summary>
    /// Frees the tables this index outgrew. Only once it can grow no more (its memtable is
    /// immutable) and no reader that took a table before the last growth can still probe one;
    /// the current table stays. A second call finds nothing to free.
    /// </summary>
    public void ReleaseOutgrown()
    {
        var retired = Interlocked.Exchange(ref _retired, null);
        if (retired is null) return;
        foreach (var old in retired)
        {
            Interlocked.Add(ref _tableBytes, -(long)old.Length * sizeof(long));
            old.Dispose();
        }
    }

    /// <summary>Bytes of the slot tables held now: the current one and those outgrown and not yet freed.</summary>
    public long MemoryUsage => Volatile.Read(ref _tableBytes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> userKey) => XxHash3.HashToUInt64(userKey);

    /// <summary>The newest entry of <paramref name="userKey"/>, or -1.</summary>
    public long Find(ulong hash, ReadOnlySpan<byte> userKey)
    {
        var table = Volatile.Read(ref _slots);
        var slots = table.Span;
        ushort fingerprint = Fingerprint(hash);
        for (int pos = Start(hash, slots.Length); ; pos = Next(pos, slots.Length))
        {
            long slot = Volatile.Read(ref slots[pos]);
            if (slot == 0) break;
            if ((ushort)((ulong)slot >> AddressBits) != fingerprint) continue;
            long address = slot & AddressMask;
            if (MemEntry.UserKey(_arena, address).SequenceEqual(userKey))
            {
                GC.KeepAlive(table);
                return address;
            }
        }
        // The span does not keep the table reachable: its finalizer must not free it mid-probe.
        GC.KeepAlive(table);
        return -1;
    }

    /// <summary>Writer only: makes <paramref name="address"/> the newest entry of its key.</summary>
    public void Publish(ulong hash, ReadOnlySpan<byte> userKey, long address, long existing)
    {
        var table = _slots;
        var slots = table.Span;
        ushort fingerprint = Fingerprint(hash);
        long packed = ((long)fingerprint << AddressBits) | address;
        for (int pos = Start(hash, slots.Length); ; pos = Next(pos, slots.Length))
        {
            long slot = slots[pos];
            if (slot == 0)
            {
                Volatile.Write(ref slots[pos], packed);
                Volatile.Write(ref _count, _count + 1);
                // At most three quarters full: with the fingerprints in the slots, a probe
                // sequence that long still stays within a cache line or two.
                if (_count * 4L > slots.Length * 3L) Grow();
                GC.KeepAlive(table);
                return;
            }
            if ((slot & AddressMask) == existing && existing >= 0)
            {
                Volatile.Write(ref slots[pos], packed);
                GC.KeepAlive(table);
                return;
            }
        }
    }

    private void Grow()
    {
        var oldTable = _slots;
        var grownTable = new NativeBuffer<long>((int)Math.Min(MaxCapacity, oldTable.Length * 2L));
        Interlocked.Add(ref _tableBytes, (long)grownTable.Length * sizeof(long));
        // The old table may still be read by a reader that took it before: freed by ReleaseOutgrown or Release.
        (_retired ??= []).Add(oldTable);
        var grown = grownTable.Span;
        foreach (long slot in oldTable.Span)
        {
            if (slot == 0) continue;
            // Slots keep only the high hash bits; the key is read for its position anyway, so
            // hashing it again costs less than keeping four bytes of hash in every entry.
            ulong hash = Hash(MemEntry.UserKey(_arena, slot & AddressMask));
            int pos = Start(hash, grown.Length);
            while (grown[pos] != 0) pos = Next(pos, grown.Length);
            grown[pos] = slot;
        }
        Volatile.Write(ref _slots, grownTable);
    }

    /// <summary>A key's first slot: the low 32 hash bits scaled to the table (the fingerprint takes the top 12).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Start(ulong hash, int length) => (int)(((ulong)(uint)hash * (uint)length) >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Next(int pos, int length) => ++pos == length ? 0 : pos;

    /// <summary>Arena addresses are below 2^52: chunk index (20 bits, see <see cref="Arena.MaxChunks"/>) and offset (32 bits).</summary>
    private const int AddressBits = 52;
    private const long AddressMask = (1L << AddressBits) - 1;

    /// <summary>The top 12 hash bits, never zero, so an occupied slot is never 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Fingerprint(ulong hash) => (ushort)((hash >> AddressBits) | 1);
}
