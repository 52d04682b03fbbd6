using System.Buffers;
using System.Buffers.Binary;
using LatticeKV.Keys;

namespace LatticeKV.Memtable;

/// <summary>
/// The in-memory write buffer of one column family: a <see cref="SkipList"/> of point entries
/// plus a list of range tombstones. One writer at a time (the group-commit leader applies
/// batches); reads and iterators run concurrently without locks.
/// </summary>
internal sealed class MemTable
{
    private readonly SkipList _list;
    private readonly Arena _arena;
    private readonly InternalKeyComparator _cmp;
    // Append-only; readers take Volatile snapshots of the count, then of the array.
    private RangeTombstone[] _tombstones = [];
    private int _tombstoneCount;
    private long _tombstoneBytes;
    private FragmentedRangeTombstones? _fragmented; // cache for _fragmentedCount tombstones
    private int _fragmentedCount = -1;
    private readonly Lock _fragmentLock = new();
    private ulong _firstSequence = ulong.MaxValue;
    private ulong _largestSequence;

    public MemTable(InternalKeyComparator cmp, int arenaChunkSize, long firstLogNumber)
    {
        _cmp = cmp;
        _arena = new Arena(arenaChunkSize);
        _list = new SkipList(cmp, _arena);
        FirstLogNumber = firstLogNumber;
    }

    /// <summary>The WAL file number that was current when this memtable was created: its data is in that WAL or later ones.</summary>
    public long FirstLogNumber { get; set; }

    public InternalKeyComparator Comparator => _cmp;

    public long ApproximateMemoryUsage => _arena.MemoryUsage + Volatile.Read(ref _tombstoneBytes);

    public int EntryCount => _list.Count;

    public int RangeTombstoneCount => Volatile.Read(ref _tombstoneCount);

    public bool IsEmpty => _list.Count == 0 && RangeTombstoneCount == 0;

    public ulong FirstSequence => Volatile.Read(ref _firstSequence);

    public ulong LargestSequence => Volatile.Read(ref _largestSequence);

    /// <summary>
    /// Adds an entry. For <see cref="ValueKind.TimedValue"/> the 8-byte write time is stored in
    /// front of the value. Single writer only.
    /// </summary>
    public void Add(ulong sequence, ValueKind kind, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> value, long writeTimeMs = 0)
    {
        if (kind == ValueKind.RangeDeletion)
        {
            AddRangeTombstone(new RangeTombstone(userKey.ToArray(), value.ToArray(), sequence));
            NoteSequence(sequence);
            return;
        }
        int prefix = kind == ValueKind.TimedValue ? 8 : 0;
        int keyLength = userKey.Length + InternalKey.TrailerSize;
        long node = _list.Allocate(keyLength, prefix + value.Length, out int height);
        var entry = _list.EntrySpanMutable(node);
        InternalKey.Encode(entry, userKey, sequence, kind);
        if (prefix > 0) BinaryPrimitives.WriteInt64LittleEndian(entry[keyLength..], writeTimeMs);
        value.CopyTo(entry[(keyLength + prefix)..]);
        _list.Insert(node, height);
        NoteSequence(sequence);
    }

    private void NoteSequence(ulong sequence)
    {
        if (sequence < _firstSequence) Volatile.Write(ref _firstSequence, sequence);
        if (sequence > _largestSequence) Volatile.Write(ref _largestSequence, sequence);
    }

    private void AddRangeTombstone(RangeTombstone t)
    {
        var array = _tombstones;
        if (_tombstoneCount == array.Length)
        {
            var grown = new RangeTombstone[Math.Max(4, array.Length * 2)];
            Array.Copy(array, grown, _tombstoneCount);
            array = grown;
            Volatile.Write(ref _tombstones, array);
        }
        array[_tombstoneCount] = t;
        Interlocked.Add(ref _tombstoneBytes, t.Begin.Length + t.End.Length + 48);
        Volatile.Write(ref _tombstoneCount, _tombstoneCount + 1);
    }

    /// <summary>
    /// Looks up the newest entry of <paramref name="userKey"/> with sequence at most
    /// <paramref name="snapshot"/>. Returns false when this memtable has no such entry.
    /// The value span points into the arena (valid while the memtable is referenced).
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshot, out ValueKind kind, out ulong sequence, out ReadOnlySpan<byte> value)
    {
        int length = userKey.Length + InternalKey.TrailerSize;
        byte[]? rented = null;
        Span<byte> lookup = length <= 256 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            InternalKey.Encode(lookup, userKey, snapshot, ValueKinds.ForSeek);
            long node = _list.Seek(lookup);
            if (node != SkipList.Null)
            {
                var key = _list.KeySpan(node);
                if (_cmp.CompareUser(InternalKey.UserKey(key), userKey) == 0)
                {
                    ulong trailer = InternalKey.Trailer(key);
                    kind = (ValueKind)(byte)trailer;
                    sequence = trailer >> 8;
                    value = _list.ValueSpan(node);
                    return true;
                }
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
        kind = default;
        sequence = 0;
        value = default;
        return false;
    }

    /// <summary>The range tombstones added so far, fragmented; cached until the next one is added.</summary>
    public FragmentedRangeTombstones GetRangeTombstones()
    {
        int count = Volatile.Read(ref _tombstoneCount);
        if (count == 0) return FragmentedRangeTombstones.Empty;
        var cached = Volatile.Read(ref _fragmented);
        if (cached is not null && Volatile.Read(ref _fragmentedCount) == count) return cached;
        lock (_fragmentLock)
        {
            if (_fragmented is not null && _fragmentedCount == count) return _fragmented;
            var array = Volatile.Read(ref _tombstones);
            var built = FragmentedRangeTombstones.Build(new ArraySegment<RangeTombstone>(array, 0, count), _cmp);
            _fragmented = built;
            Volatile.Write(ref _fragmentedCount, count);
            return built;
        }
    }

    /// <summary>Raw (unfragmented) tombstones, for flushing.</summary>
    public IReadOnlyList<RangeTombstone> RawRangeTombstones()
    {
        int count = Volatile.Read(ref _tombstoneCount);
        return new ArraySegment<RangeTombstone>(Volatile.Read(ref _tombstones), 0, count);
    }

    public InternalIterator NewIterator() => new MemTableIterator(_list, _cmp);

    private sealed class MemTableIterator(SkipList list, InternalKeyComparator cmp) : InternalIterator
    {
        private long _node = SkipList.Null;

        public override bool Valid => _node != SkipList.Null;

        public override ReadOnlySpan<byte> Key => list.KeySpan(_node);

        public override ReadOnlySpan<byte> Value => list.ValueSpan(_node);

        public override void SeekToFirst() => _node = list.Next(list.Head);

        public override void SeekToLast()
        {
            long last = list.FindLast();
            _node = last == list.Head ? SkipList.Null : last;
        }

        public override void Seek(ReadOnlySpan<byte> target) => _node = list.Seek(target);

        public override void SeekForPrev(ReadOnlySpan<byte> target)
        {
            Seek(target);
            if (!Valid) SeekToLast();
            else if (cmp.Compare(Key, target) > 0) Prev();
        }

        public override void Next() => _node = list.Next(_node);

        public override void Prev()
        {
            long prev = list.FindLessThan(Key);
            _node = prev == list.Head ? SkipList.Null : prev;
        }
    }
}
