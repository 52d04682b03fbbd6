using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV.Manifest;

/// <summary>Outcome of a point lookup in one source (memtable or version).</summary>
internal enum LookupState
{
    NotFound,
    Found,
    Deleted,
    /// <summary>The newest entry is a merge operand: the reader combines it with what lies under it.</summary>
    Merge,
}

/// <summary>
/// An immutable set of tables per level for one column family. Level 0 files may overlap and
/// are ordered newest first; every other level is sorted by key and non-overlapping.
/// Reference counted: the current version, super versions and iterators hold references, and
/// a table file is deleted only when no live version lists it.
/// </summary>
internal sealed class LsmVersion
{
    private readonly FileMetaData[][] _files;
    private readonly Action<LsmVersion>? _onLastUnref;
    private int _refs;

    private static readonly Dictionary<long, Blob.BlobFileMetaData> NoBlobFiles = [];

    public LsmVersion(InternalKeyComparator cmp, FileMetaData[][] files, Action<LsmVersion>? onLastUnref,
        IReadOnlyDictionary<long, Blob.BlobFileMetaData>? blobFiles = null)
    {
        BlobFiles = blobFiles ?? NoBlobFiles;
        Comparator = cmp;
        _files = files;
        _onLastUnref = onLastUnref;
        RangeDeletionFiles = [.. files.SelectMany(f => f).Where(f => f.NumRangeDeletions > 0)];
    }

    public InternalKeyComparator Comparator { get; }

    /// <summary>The blob files some table of this version refers to, by number (FORMAT.md §21).</summary>
    public IReadOnlyDictionary<long, Blob.BlobFileMetaData> BlobFiles { get; }

    /// <summary>
    /// Cache of the compaction picker's pending-bytes estimate for this (immutable) version, -1
    /// until computed. Racing writers store the same value.
    /// </summary>
    internal long CachedPendingCompactionBytes = -1;

    public int NumLevels => _files.Length;

    public IReadOnlyList<FileMetaData> Files(int level) => _files[level];

    public IEnumerable<FileMetaData> AllFiles => _files.SelectMany(f => f);

    /// <summary>Files holding range tombstones (usually none): every iterator reads their tombstones up front.</summary>
    public FileMetaData[] RangeDeletionFiles { get; }

    public int NumFiles(int level) => _files[level].Length;

    public long LevelBytes(int level)
    {
        long total = 0;
        foreach (var f in _files[level]) total += f.FileSize;
        return total;
    }

    public long TotalBytes => Enumerable.Range(0, _files.Length).Sum(LevelBytes);

    public void Ref() => Interlocked.Increment(ref _refs);

    public void Unref()
    {
        int r = Interlocked.Decrement(ref _refs);
        if (r == 0) _onLastUnref?.Invoke(this);
        else if (r < 0) throw new InvalidOperationException("LsmVersion released more often than referenced.");
    }

    /// <summary>Index of the first file in a sorted level whose largest key is at or after <paramref name="internalKey"/>.</summary>
    public int FindFile(int level, ReadOnlySpan<byte> internalKey)
    {
        var files = _files[level];
        int lo = 0, hi = files.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Comparator.Compare(files[mid].Largest, internalKey) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>True when <paramref name="userKey"/> lies within the file's user-key range.</summary>
    public bool Contains(FileMetaData f, ReadOnlySpan<byte> userKey)
    {
        if (Comparator.CompareUser(userKey, f.SmallestUserKey) < 0) return false;
        int c = Comparator.CompareUser(userKey, f.LargestUserKey);
        return c < 0 || (c == 0 && !f.LargestIsExclusive);
    }

    /// <summary>
    /// Files of <paramref name="level"/> whose user-key range intersects [begin, end] (null = unbounded).
    /// For level 0 the range grows to cover every transitively overlapping file, since those
    /// files must move down together.
    /// </summary>
    public List<FileMetaData> GetOverlappingInputs(int level, byte[]? begin, byte[]? end)
    {
        var result = new List<FileMetaData>();
        var files = _files[level];
        byte[]? lo = begin, hi = end;
        for (int i = 0; i < files.Length; i++)
        {
            var f = files[i];
            if (lo is not null && EndsBefore(f, lo)) continue;
            if (hi is not null && Comparator.CompareUser(f.SmallestUserKey, hi) > 0) continue;
            result.Add(f);
            if (level == 0)
            {
                bool grew = false;
                if (lo is not null && Comparator.CompareUser(f.SmallestUserKey, lo) < 0) { lo = f.SmallestUserKey.ToArray(); grew = true; }
                if (hi is not null && Comparator.CompareUser(f.LargestUserKey, hi) > 0) { hi = f.LargestUserKey.ToArray(); grew = true; }
                if (grew)
                {
                    result.Clear();
                    i = -1;
                }
            }
        }
        return result;
    }

    /// <summary>True when every key of <paramref name="f"/> sorts before user key <paramref name="key"/>.</summary>
    private bool EndsBefore(FileMetaData f, ReadOnlySpan<byte> key)
    {
        int c = Comparator.CompareUser(f.LargestUserKey, key);
        return c < 0 || (c == 0 && f.LargestIsExclusive);
    }

    public bool OverlapInLevel(int level, byte[]? smallestUser, byte[]? largestUser)
    {
        foreach (var f in _files[level])
        {
            if (smallestUser is not null && EndsBefore(f, smallestUser)) continue;
            if (largestUser is not null && Comparator.CompareUser(f.SmallestUserKey, largestUser) > 0) continue;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Point lookup through the levels, newest data first. <paramref name="maxCoveringTombstone"/>
    /// carries the newest range tombstone (visible at the snapshot) met so far from newer
    /// sources; an entry older than it is deleted.
    /// </summary>
    public LookupState Get(TableCache tables, ReadOnlySpan<byte> lookupKey, ulong snapshot, bool fillCache,
        ref ulong maxCoveringTombstone, out ulong trailer, out Block? block, out int valueOffset, out int valueLength)
    {
        trailer = 0;
        block = null;
        valueOffset = valueLength = 0;
        var userKey = InternalKey.UserKey(lookupKey);
        ulong bloomHash = BloomFilter.Hash(userKey);
        var l0 = _files[0];
        // A lookup probes the filter of every level-0 file and of one file per deeper level that
        // covers the key, one after another: start all those memory loads at once rather than
        // paying their latencies in turn. Only tables already open are hinted (a hint reads
        // nothing that could fail, so it needs no lease).
        foreach (var f in l0)
            if (Contains(f, userKey)) TableCache.PrefetchFilter(f.CachedTable, bloomHash);
        for (int level = 1; level < _files.Length; level++)
        {
            var files = _files[level];
            if (files.Length == 0) continue;
            int i = FindFile(level, lookupKey);
            if (i < files.Length && Contains(files[i], userKey)) TableCache.PrefetchFilter(files[i].CachedTable, bloomHash);
        }
        foreach (var f in l0)
        {
            if (!Contains(f, userKey)) continue;
            var state = GetFromFile(tables, f, lookupKey, userKey, bloomHash, snapshot, fillCache, ref maxCoveringTombstone, out trailer, out block, out valueOffset, out valueLength);
            if (state != LookupState.NotFound) return state;
        }
        for (int level = 1; level < _files.Length; level++)
        {
            var files = _files[level];
            if (files.Length == 0) continue;
            int i = FindFile(level, lookupKey);
            if (i >= files.Length) continue;
            var f = files[i];
            if (!Contains(f, userKey)) continue;
            var state = GetFromFile(tables, f, lookupKey, userKey, bloomHash, snapshot, fillCache, ref maxCoveringTombstone, out trailer, out block, out valueOffset, out valueLength);
            if (state != LookupState.NotFound) return state;
        }
        return LookupState.NotFound;
    }

    private static LookupState GetFromFile(TableCache tables, FileMetaData f, ReadOnlySpan<byte> lookupKey, ReadOnlySpan<byte> userKey,
        ulong bloomHash, ulong snapshot, bool fillCache, ref ulong maxCovering, out ulong trailer, out Block? block, out int valueOffset, out int valueLength)
    {
        using var lease = tables.Acquire(f.Number, ref f.CachedTable);
        var table = lease.Reader;
        if (f.NumRangeDeletions > 0)
        {
            ulong covering = table.RangeTombstones.MaxCoveringSequence(userKey, snapshot);
            if (covering > maxCovering) maxCovering = covering;
        }
        if (!table.Get(lookupKey, bloomHash, fillCache, out trailer, out block, out valueOffset, out valueLength))
            return LookupState.NotFound;
        ulong seq = trailer >> 8;
        if (seq < maxCovering) return LookupState.Deleted;
        return (ValueKind)(byte)trailer == ValueKind.Deletion ? LookupState.Deleted : LookupState.Found;
    }
}
