using LatticeKV.Db;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Memtable;
using LatticeKV.Sst;

namespace LatticeKV.Transactions;

/// <summary>
/// Whether a key, or any key of a range, of a column family has an entry (put, deletion, merge
/// operand or range deletion) with a sequence number above a snapshot's: what an optimistic
/// commit asks of everything its transaction read or wrote. Looks at the memtables and tables of
/// the current super version; a memtable or table whose largest sequence is at or below the
/// snapshot cannot hold a newer entry and is skipped unread, so a check usually reads only the
/// memtables. Point checks consult a table's bloom filter before its blocks.
/// </summary>
/// <remarks>
/// The snapshot must be held (registered with the database) while probing: compaction keeps the
/// newest entry above a live snapshot, so a newer write cannot be compacted out of sight.
/// </remarks>
internal static class ConflictProbe
{
    public static bool HasNewerEntry(TableCache tables, ColumnFamilyData cfd, ReadOnlySpan<byte> key, ulong snapshot)
    {
        var sv = cfd.AcquireSuperVersion();
        try
        {
            if (MemTableHasNewer(sv.Mem, key, snapshot)) return true;
            foreach (var imm in sv.Imm)
                if (MemTableHasNewer(imm, key, snapshot)) return true;
            var version = sv.Version;
            byte[] lookup = InternalKey.Create(key, InternalKey.MaxSequence, ValueKinds.ForSeek);
            foreach (var f in version.Files(0))
                if (f.LargestSequence > snapshot && version.Contains(f, key) && TableHasNewer(tables, f, lookup, snapshot)) return true;
            for (int level = 1; level < version.NumLevels; level++)
            {
                var files = version.Files(level);
                int i = version.FindFile(level, lookup);
                if (i < files.Count && files[i].LargestSequence > snapshot && version.Contains(files[i], key)
                    && TableHasNewer(tables, files[i], lookup, snapshot)) return true;
            }
            return false;
        }
        finally
        {
            sv.Release();
        }
    }

    public static bool HasNewerEntryInRange(TableCache tables, ColumnFamilyData cfd, KeyRange range, ulong snapshot)
    {
        var cmp = cfd.Comparator;
        var sv = cfd.AcquireSuperVersion();
        try
        {
            if (MemTableRangeHasNewer(sv.Mem, range, cmp, snapshot)) return true;
            foreach (var imm in sv.Imm)
                if (MemTableRangeHasNewer(imm, range, cmp, snapshot)) return true;
            var version = sv.Version;
            for (int level = 0; level < version.NumLevels; level++)
                foreach (var f in version.Files(level))
                    if (f.LargestSequence > snapshot && range.Overlaps(f, cmp) && TableRangeHasNewer(tables, f, range, cmp, snapshot)) return true;
            return false;
        }
        finally
        {
            sv.Release();
        }
    }

    private static bool MemTableHasNewer(MemTable mem, ReadOnlySpan<byte> key, ulong snapshot)
    {
        if (mem.LargestSequence <= snapshot) return false;
        if (mem.TryGet(key, InternalKey.MaxSequence, out _, out ulong seq, out _) && seq > snapshot) return true;
        return mem.RangeTombstoneCount > 0 && mem.GetRangeTombstones().MaxCoveringSequence(key, InternalKey.MaxSequence) > snapshot;
    }

    private static bool TableHasNewer(TableCache tables, FileMetaData f, ReadOnlySpan<byte> lookup, ulong snapshot)
    {
        using var lease = tables.Acquire(f.Number, ref f.CachedTable);
        var table = lease.Reader;
        if (f.NumRangeDeletions > 0 && table.RangeTombstones.MaxCoveringSequence(InternalKey.UserKey(lookup), InternalKey.MaxSequence) > snapshot) return true;
        // The newest entry of the key in this table: the lookup key sorts before all of them.
        if (!table.Get(lookup, fillCache: true, out ulong trailer, out var block, out _, out _)) return false;
        block?.Unpin();
        return trailer >> 8 > snapshot;
    }

    private static bool MemTableRangeHasNewer(MemTable mem, KeyRange range, InternalKeyComparator cmp, ulong snapshot)
    {
        if (mem.LargestSequence <= snapshot) return false;
        if (mem.RangeTombstoneCount > 0 && TombstonesHaveNewer(mem.GetRangeTombstones(), range, cmp, snapshot)) return true;
        using var it = mem.NewIterator();
        return ScanHasNewer(it, range, cmp, snapshot);
    }

    private static bool TableRangeHasNewer(TableCache tables, FileMetaData f, KeyRange range, InternalKeyComparator cmp, ulong snapshot)
    {
        using var lease = tables.Acquire(f.Number, ref f.CachedTable);
        var table = lease.Reader;
        if (f.NumRangeDeletions > 0 && TombstonesHaveNewer(table.RangeTombstones, range, cmp, snapshot)) return true;
        using var it = table.NewIterator(fillCache: true);
        return ScanHasNewer(it, range, cmp, snapshot);
    }

    private static bool TombstonesHaveNewer(FragmentedRangeTombstones fragments, KeyRange range, InternalKeyComparator cmp, ulong snapshot)
    {
        for (int i = 0; i < fragments.Count; i++)
            if (fragments.Sequences(i)[0] > snapshot && range.OverlapsHalfOpen(fragments.Start(i), fragments.End(i), cmp)) return true;
        return false;
    }

    /// <summary>Walks every entry whose user key lies in <paramref name="range"/>, all versions, until one is newer than the snapshot.</summary>
    private static bool ScanHasNewer(InternalIterator it, KeyRange range, InternalKeyComparator cmp, ulong snapshot)
    {
        if (range.Low is null) it.SeekToFirst();
        else it.Seek(InternalKey.Create(range.Low, InternalKey.MaxSequence, ValueKinds.ForSeek));
        for (; it.Valid; it.Next())
        {
            var key = it.Key;
            if (!range.IsBelowHigh(InternalKey.UserKey(key), cmp)) return false;
            if (InternalKey.Sequence(key) > snapshot) return true;
        }
        return false;
    }
}
