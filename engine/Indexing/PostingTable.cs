using System.IO.Hashing;

namespace LatticeKV.Indexing;

/// <summary>
/// Documents found in a prefix's postings, each with its summed term frequency and its length,
/// keyed by primary key. The keys live in one growing byte arena and the table is open addressing
/// over it, so a prefix with many postings costs a few growing arrays, not an object per posting.
/// Documents keep the order they were first added in. Not thread-safe.
/// </summary>
internal sealed class PostingTable
{
    private const int MaxLoadPercent = 50;

    private byte[] _arena = new byte[4096];
    private int _arenaLength;
    private Entry[] _entries = new Entry[64];
    // Slots hold an entry's position + 1 (0: empty); their count is a power of two.
    private int[] _slots = new int[128];

    /// <summary>How many documents the table holds.</summary>
    public int Count { get; private set; }

    /// <summary>The primary key of the document at <paramref name="position"/> (0 to <see cref="Count"/> - 1, in order of first addition).</summary>
    public ReadOnlySpan<byte> KeyAt(int position) => _arena.AsSpan(_entries[position].Offset, _entries[position].Length);

    /// <summary>The summed frequency of the document at <paramref name="position"/>.</summary>
    public int FrequencyAt(int position) => _entries[position].Frequency;

    /// <summary>The length of the document at <paramref name="position"/>.</summary>
    public long LengthAt(int position) => _entries[position].DocumentLength;

    /// <summary>Adds <paramref name="frequency"/> to the document's sum and sets its length to <paramref name="length"/>.</summary>
    public void Add(ReadOnlySpan<byte> key, int frequency, long length)
    {
        uint hash = Hash(key);
        int slot = Find(key, hash);
        if (_slots[slot] == 0)
        {
            if ((Count + 1) * 100 > _slots.Length * MaxLoadPercent)
            {
                Grow();
                slot = Find(key, hash);
            }
            slot = Insert(slot, key, hash);
        }
        ref var entry = ref _entries[_slots[slot] - 1];
        entry.Frequency += frequency;
        entry.DocumentLength = length;
    }

    /// <summary>The document's summed frequency and length, when the table holds it.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out int frequency, out long length)
    {
        int slot = Find(key, Hash(key));
        if (_slots[slot] == 0)
        {
            frequency = 0;
            length = 0;
            return false;
        }
        ref var entry = ref _entries[_slots[slot] - 1];
        frequency = entry.Frequency;
        length = entry.DocumentLength;
        return true;
    }

    private static uint Hash(ReadOnlySpan<byte> key) => (uint)XxHash3.HashToUInt64(key);

    /// <summary>The slot holding <paramref name="key"/>, or the empty slot where it would go (linear probing).</summary>
    private int Find(ReadOnlySpan<byte> key, uint hash)
    {
        int mask = _slots.Length - 1;
        for (int slot = (int)(hash & (uint)mask); ; slot = (slot + 1) & mask)
        {
            int held = _slots[slot];
            if (held == 0) return slot;
            ref var entry = ref _entries[held - 1];
            if (entry.Hash == hash && _arena.AsSpan(entry.Offset, entry.Length).SequenceEqual(key)) return slot;
        }
    }

    private int Insert(int slot, ReadOnlySpan<byte> key, uint hash)
    {
        if (_arena.Length - _arenaLength < key.Length) Array.Resize(ref _arena, Math.Max(_arenaLength + key.Length, _arena.Length * 2));
        key.CopyTo(_arena.AsSpan(_arenaLength));
        if (Count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        _entries[Count] = new Entry { Offset = _arenaLength, Length = key.Length, Hash = hash };
        _arenaLength += key.Length;
        _slots[slot] = ++Count;
        return slot;
    }

    private void Grow()
    {
        _slots = new int[_slots.Length * 2];
        int mask = _slots.Length - 1;
        for (int i = 0; i < Count; i++)
        {
            int slot = (int)(_entries[i].Hash & (uint)mask);
            while (_slots[slot] != 0) slot = (slot + 1) & mask;
            _slots[slot] = i + 1;
        }
    }

    private struct Entry
    {
        public int Offset;
        public int Length;
        public uint Hash;
        public int Frequency;
        public long DocumentLength;
    }
}
