using System.Buffers.Binary;
using LatticeKV.Keys;

namespace LatticeKV.Memtable;

/// <summary>
/// The in-memory write buffer of one column family. Entries are appended to an
/// <see cref="Arena"/>, which is also their list; a <see cref="HashIndex"/> finds the newest
/// version of a key (older versions are chained from it), and <see cref="SortedRuns"/> give
/// ordered access when an iterator or a flush asks for it. Once a flush has sorted an immutable
/// memtable, lookups search its runs instead, behind a bloom filter of its keys, and the index is freed (<see cref="DropIndex"/>). Range tombstones are kept apart. One writer at a time (the
/// group-commit leader applies batches); reads and iterators run concurrently without locks.
/// User keys are equal only when their bytes are equal (see <see cref="KeyComparator"/>).
/// </summary>
internal sealed class MemTable
{
    private readonly Arena _arena;
    private readonly InternalKeyComparator _cmp;
    private readonly bool _bytewise;
    private readonly HashIndex _index;
    private int _count; // published with Volatile after the entry
    private readonly SortedRuns _runs;
    // Writer-owned: the first key and how many leading bytes every key so far shares with it.
    private byte[]? _firstKey;
    private int _commonPrefix;
    // Append-only; readers take Volatile snapshots of the count, then of the array.
    private RangeTombstone[] _tombstones = [];
    private int _tombstoneCount;
    private long _tombstoneBytes;
    private FragmentedRangeTombstones? _fragmented; // cache for _fragmentedCount tombstones
    private int _fragmentedCount = -1;
    private readonly Lock _fragmentLock = new();
    private ulong _firstSequence = ulong.MaxValue;
    private ulong _largestSequence;

    // References from super versions (which readers hold); see Ref and Unref.
    private int _refs;
    // Super versions holding this memtable as the mutable one, plus one until Seal: when it
    // reaches zero no reader can still probe a slot table the index outgrew.
    private int _mutableViews = 1;
    // Set once, by DropIndex, when every entry is in these sorted runs: lookups search them
    // instead of probing the index.
    private SortedRun[]? _lookupRuns;
    // Set by the writer with each new key; asked only once _lookupRuns is published, which
    // publishes every bit set before it.
    private readonly LookupFilter _filter;
    // Super versions made before DropIndex that hold this memtable, plus one until DropIndex:
    // when it reaches zero no reader can still probe the index, and it is freed.
    private int _indexViews = 1;

    public MemTable(InternalKeyComparator cmp, int arenaChunkSize, long firstLogNumber, int expectedEntries = 0)
    {
        _cmp = cmp;
        _bytewise = ReferenceEquals(cmp.User, KeyComparator.Bytewise);
        _arena = new Arena(arenaChunkSize);
        _index = new HashIndex(_arena, expectedEntries);
        _filter = new LookupFilter(expectedEntries);
        _runs = new SortedRuns(_arena, cmp, _bytewise, () => Volatile.Read(ref _commonPrefix));
        FirstLogNumber = firstLogNumber;
    }

    /// <summary>The sorted runs (for tests of what they keep).</summary>
    internal SortedRuns Runs => _runs;

    /// <summary>The hash index (for tests of what it keeps).</summary>
    internal HashIndex Index => _index;

    /// <summary>The arena (for tests of what it keeps).</summary>
    internal Arena Arena => _arena;

    /// <summary>
    /// Takes a reference: every super version holding this memtable holds one (every reader
    /// reaches a memtable only through a super version it has acquired), and a flush holds one
    /// while it writes the memtable.
    /// </summary>
    public void Ref() => Interlocked.Increment(ref _refs);

    /// <summary>
    /// Drops a reference. The last one frees the arena's chunks, the hash index's slots and the
    /// sorted runs' arrays: no super version, and so no reader, iterator or flush, can reach this
    /// memtable any more. A memtable never referenced is left to the collector (its memory to
    /// finalizers): the engine's own (recovery's, the repairer's) are referenced while in use.
    /// </summary>
    public void Unref()
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs == 0)
        {
            _arena.Release();
            _index.Release();
            _runs.Release();
            _filter.Free();
        }
        else if (refs < 0) throw new InvalidOperationException("MemTable released more often than referenced.");
    }

    /// <summary>
    /// Counts a super version that holds this memtable as its mutable one (before <see cref="Ref"/>).
    /// Only such a super version's readers can have taken a slot table the index outgrew: growth
    /// ends when the memtable is sealed, and later super versions reach only the last table.
    /// </summary>
    public void EnterMutableView() => Interlocked.Increment(ref _mutableViews);

    /// <summary>Drops what <see cref="EnterMutableView"/> counted (before <see cref="Unref"/>).</summary>
    public void LeaveMutableView()
    {
        if (Interlocked.Decrement(ref _mutableViews) == 0) _index.ReleaseOutgrown();
    }

    /// <summary>
    /// Marks this memtable immutable (no <see cref="Add"/> after it): once the super versions
    /// that held it as mutable are released, the slot tables its index outgrew are freed, and
    /// <see cref="ApproximateMemoryUsage"/> falls by as much. Writer only, once.
    /// </summary>
    public void Seal() => LeaveMutableView();

    /// <summary>
    /// Counts a super version that holds this memtable, if it is made before <see cref="DropIndex"/>
    /// (its readers may probe the index); false when the index is dropped already. Caller holds
    /// the database mutex (as <see cref="DropIndex"/>'s caller does), so none is made in between.
    /// </summary>
    public bool TryEnterIndexView()
    {
        if (Volatile.Read(ref _lookupRuns) is not null) return false;
        Interlocked.Increment(ref _indexViews);
        return true;
    }

    /// <summary>Drops what <see cref="TryEnterIndexView"/> counted; the last frees the index once it is dropped.</summary>
    public void LeaveIndexView()
    {
        if (Interlocked.Decrement(ref _indexViews) == 0) _index.Release();
    }

    /// <summary>
    /// Sorts every entry into runs, so lookups can do without the index (<see cref="DropIndex"/>).
    /// Only on a sealed memtable; not under the database mutex (it sorts the whole memtable;
    /// the flush's own iterator then finds the runs built).
    /// </summary>
    public void SortForLookups() => _runs.Get(EntryCount);

    /// <summary>
    /// Makes lookups search the sorted runs instead of the hash index, which is freed once the
    /// super versions made before this call are released (the caller installs a new one), so an
    /// immutable memtable being flushed does not hold its index and its flush's run at once.
    /// Caller holds the database mutex; the memtable is sealed. A second call does nothing.
    /// </summary>
    public void DropIndex()
    {
        if (Volatile.Read(ref _lookupRuns) is not null) return;
        Volatile.Write(ref _lookupRuns, _runs.Get(EntryCount));
        LeaveIndexView();
    }

    /// <summary>The filter in front of the runs' lookups once the index is dropped (for tests).</summary>
    internal LookupFilter Filter => _filter;

    /// <summary>Whether lookups search the sorted runs (the index is dropped).</summary>
    internal bool IndexDropped => Volatile.Read(ref _lookupRuns) is not null;

    /// <summary>The WAL file number that was current when this memtable was created: its data is in that WAL or later ones.</summary>
    public long FirstLogNumber { get; set; }

    public InternalKeyComparator Comparator => _cmp;

    /// <summary>
    /// Bytes this memtable holds, as RocksDB counts its arena (entries and skip list) against the
    /// write buffer: the entries, the hash index's slot tables as allocated (outgrown ones until
    /// they are freed), the sorted runs built so far (by an iterator, or by the flush, which then
    /// frees the index: its run takes the index's place), the lookup filter and the range tombstones.
    /// </summary>
    public long ApproximateMemoryUsage => _arena.UsedBytes + _index.MemoryUsage + _runs.MemoryUsage + _filter.MemoryUsage + Volatile.Read(ref _tombstoneBytes);

    public int EntryCount => Volatile.Read(ref _count);

    public int RangeTombstoneCount => Volatile.Read(ref _tombstoneCount);

    public bool IsEmpty => EntryCount == 0 && RangeTombstoneCount == 0;

    public ulong FirstSequence => Volatile.Read(ref _firstSequence);

    public ulong LargestSequence => Volatile.Read(ref _largestSequence);

    /// <summary>
    /// Adds an entry. Sequence numbers must increase from call to call. For
    /// <see cref="ValueKind.TimedValue"/> the 8-byte write time is stored in front of the value.
    /// Single writer only.
    /// </summary>
    public void Add(ulong sequence, ValueKind kind, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> value, long writeTimeMs = 0)
    {
        if (kind == ValueKind.RangeDeletion)
        {
            AddRangeTombstone(new RangeTombstone(userKey.ToArray(), value.ToArray(), sequence));
            NoteSequence(sequence);
            return;
        }
        Span<byte> timePrefix = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(timePrefix, writeTimeMs);
        ulong hash = HashIndex.Hash(userKey);
        long existing = _index.Find(hash, userKey);
        long address = MemEntry.Write(_arena, userKey, sequence, kind, kind == ValueKind.TimedValue ? timePrefix : default, value, existing, out int size);
        // The shared prefix shrinks before the entry is published: a reader that walks to the
        // entry, then reads the prefix length, gets one that every walked key really shares.
        if (_firstKey is null)
        {
            _firstKey = userKey.ToArray();
            Volatile.Write(ref _commonPrefix, userKey.Length);
        }
        else if (existing < 0)
        {
            int common = userKey.CommonPrefixLength(_firstKey);
            if (common < _commonPrefix) Volatile.Write(ref _commonPrefix, common);
        }
        if (existing < 0) _filter.Add(hash);
        _index.Publish(hash, userKey, address, existing);
        _arena.Publish(address, size);
        Volatile.Write(ref _count, _count + 1);
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
        => TryGet(userKey, snapshot, out kind, out sequence, out value, out _);

    /// <summary>
    /// <see cref="TryGet(ReadOnlySpan{byte}, ulong, out ValueKind, out ulong, out ReadOnlySpan{byte})"/>,
    /// also giving the entry's <paramref name="position"/>, from which <see cref="TryGetOlder"/>
    /// reads the key's older versions (a merged read walks them all).
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshot, out ValueKind kind, out ulong sequence, out ReadOnlySpan<byte> value, out long position)
    {
        var runs = Volatile.Read(ref _lookupRuns);
        long newest = runs is null ? _index.Find(HashIndex.Hash(userKey), userKey)
            : _filter.MayContain(userKey) ? FindInRuns(runs, userKey) : -1;
        for (long a = newest; a >= 0; a = MemEntry.Previous(_arena, a))
        {
            if (InternalKey.Trailer(MemEntry.Key(_arena, a)) >> 8 > snapshot) continue;
            return Read(a, out kind, out sequence, out value, out position);
        }
        return Read(-1, out kind, out sequence, out value, out position);
    }

    /// <summary>
    /// The newest entry of <paramref name="userKey"/> in <paramref name="runs"/>, or -1: in each
    /// run the first entry at or after the key's newest possible internal key (the runs hold
    /// disjoint entries; older versions are chained from the newest, as from the index's).
    /// </summary>
    private long FindInRuns(SortedRun[] runs, ReadOnlySpan<byte> userKey)
    {
        int length = userKey.Length + InternalKey.TrailerSize;
        Span<byte> target = length <= 256 ? stackalloc byte[length] : new byte[length];
        InternalKey.Encode(target, userKey, InternalKey.MaxSequence, ValueKind.RangeDeletion);
        long newest = -1;
        ulong newestTrailer = 0;
        foreach (var run in runs)
        {
            int pos = run.LowerBound(_arena, target, _cmp, _bytewise);
            if (pos >= run.Length) continue;
            long address = run.Addresses[pos];
            var key = MemEntry.Key(_arena, address);
            if (!InternalKey.UserKey(key).SequenceEqual(userKey)) continue;
            ulong trailer = InternalKey.Trailer(key);
            if (newest < 0 || trailer > newestTrailer) (newest, newestTrailer) = (address, trailer);
        }
        return newest;
    }

    /// <summary>The version of a key just older than the one at <paramref name="position"/>; false when there is none.</summary>
    public bool TryGetOlder(long position, out ValueKind kind, out ulong sequence, out ReadOnlySpan<byte> value, out long olderPosition)
        => Read(MemEntry.Previous(_arena, position), out kind, out sequence, out value, out olderPosition);

    private bool Read(long address, out ValueKind kind, out ulong sequence, out ReadOnlySpan<byte> value, out long position)
    {
        position = address;
        if (address < 0)
        {
            kind = default;
            sequence = 0;
            value = default;
            return false;
        }
        ulong trailer = InternalKey.Trailer(MemEntry.Key(_arena, address));
        kind = (ValueKind)(byte)trailer;
        sequence = trailer >> 8;
        value = MemEntry.Value(_arena, address);
        return true;
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

    /// <summary>An ordered cursor over every entry added before the call (later ones may or may not appear).</summary>
    public InternalIterator NewIterator()
    {
        var runs = _runs.Get(EntryCount);
        if (runs.Length == 0) return EmptyIterator.Instance;
        if (runs.Length == 1) return new RunIterator(_arena, runs[0], _cmp, _bytewise);
        return new MergingIterator(_cmp, runs.Select(r => new RunIterator(_arena, r, _cmp, _bytewise)));
    }
}
