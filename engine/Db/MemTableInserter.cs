using LatticeKV.Keys;

namespace LatticeKV.Db;

/// <summary>Inserts the operations of a logged batch into the memtables of their column families.</summary>
internal static class MemTableInserter
{
    /// <summary>
    /// Inserts <paramref name="rep"/> (a batch with its header). During recovery,
    /// <paramref name="recoveryLogNumber"/> is the log being replayed and column families that
    /// already flushed it are skipped; -1 on the write path.
    /// </summary>
    public static void Apply(ReadOnlySpan<byte> rep, Dictionary<uint, ColumnFamilyData> columnFamilies, long recoveryLogNumber)
    {
        var reader = new WriteBatchReader(rep);
        ulong seq = reader.Sequence;
        while (reader.MoveNext())
        {
            ulong s = seq++;
            if (!columnFamilies.TryGetValue(reader.ColumnFamilyId, out var cfd) || cfd.Dropped) continue;
            if (recoveryLogNumber >= 0 && (recoveryLogNumber < cfd.State.LogNumber || s <= cfd.ShreddedThrough)) continue;
            var kind = reader.Kind;
            // A batch logged without a commit time touched no column family with a TTL when it
            // was written: its values stay plain, as they would be had they been flushed then.
            if (kind == ValueKind.Value && cfd.Policy.Ttl is not null && reader.CommitTimeMs is not null) kind = ValueKind.TimedValue;
            cfd.Mem.Add(s, kind, reader.Key, reader.Value, reader.CommitTimeMs ?? 0);
        }
    }
}
