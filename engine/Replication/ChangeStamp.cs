using System.Buffers.Binary;
using LatticeKV.Db;
using LatticeKV.Keys;

namespace LatticeKV.Replication;

/// <summary>
/// Stage 4 of the write path for the replication log (see <see cref="WritePath"/> and
/// <see cref="IWriteStamp"/>): run by the leader once sequence numbers are assigned. Each
/// change record's key becomes its position (its own sequence number, so positions follow
/// commit order); a local change and the version record after it get the batch's clock reading
/// and the change's position as their origin sequence; a local version record gets its base:
/// itself for a put or delete, the key's current base for a merge (looked up here, after every
/// earlier write, the group's earlier members included).
/// </summary>
internal sealed class ChangeStamp(ReplicationLog log) : IWriteStamp
{
    // The bases written by the current group's earlier members (not yet in the memtables), by version key.
    private readonly Dictionary<byte[], Dot> _groupBases = new(KeyBytesEquality.Instance);

    public void BeginGroup() => _groupBases.Clear();

    public bool Wants(WriteBatch batch)
    {
        uint changes = log.ChangesId;
        foreach (uint id in batch.ColumnFamilyIds)
            if (id == changes) return true;
        return false;
    }

    public void Stamp(WriteBatch batch, ulong firstSequence)
    {
        ulong timestamp = 0;
        ulong sequence = firstSequence;
        ulong lastChange = 0;
        uint changes = log.ChangesId, versions = log.VersionsId;
        var rep = batch.MutableRep;
        var reader = new WriteBatchReader(rep);
        while (reader.MoveNext())
        {
            if (reader.Kind == ValueKind.Value && (reader.ColumnFamilyId == changes || reader.ColumnFamilyId == versions))
            {
                bool local = ChangeHeader.IsLocal(reader.Value);
                if (local && timestamp == 0) timestamp = log.Clock.Now();
                if (reader.ColumnFamilyId == changes)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(rep[OffsetOf(rep, reader.Key)..], sequence);
                    lastChange = sequence;
                    if (local)
                    {
                        ChangeHeader.Stamp(rep[OffsetOf(rep, reader.Value)..], timestamp, sequence);
                        log.LastLocalPosition = sequence;
                    }
                }
                else
                {
                    StampVersion(rep[OffsetOf(rep, reader.Value)..][..reader.Value.Length], reader.Key, local, timestamp, lastChange);
                }
            }
            sequence++;
        }
    }

    private void StampVersion(Span<byte> record, ReadOnlySpan<byte> versionKey, bool local, ulong timestamp, ulong position)
    {
        if (record.Length < VersionRecord.Size) return;
        Dot dot;
        if (!local)
        {
            dot = VersionRecord.BaseOf(record);
        }
        else
        {
            ChangeHeader.Stamp(record, timestamp, position);
            dot = ChangeHeader.OperationOf(record) == ChangeOperation.Merge
                ? CurrentBase(versionKey)
                : new Dot(log.ReplicaId, position, timestamp);
            VersionRecord.WriteBase(record, dot);
        }
        // Only a merge looks a base up, and only a family with a merge operator takes merges:
        // other families' versions need not be remembered (no copy of their keys per write).
        if (log.MergeFamilies.Contains(BinaryPrimitives.ReadUInt32BigEndian(versionKey))) _groupBases[versionKey.ToArray()] = dot;
    }

    private Dot CurrentBase(ReadOnlySpan<byte> versionKey)
    {
        if (_groupBases.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(versionKey, out var dot)) return dot;
        var current = log.Db.Get(log.Versions!, versionKey);
        return current is { Length: >= VersionRecord.Size } ? VersionRecord.BaseOf(current) : default;
    }

    public void Published(ulong lastSequence) => log.Published();

    private static int OffsetOf(ReadOnlySpan<byte> rep, ReadOnlySpan<byte> part)
        => rep.Overlaps(part, out int offset) ? offset : throw new InvalidOperationException("a record outside its batch");
}
