using System.Buffers.Binary;
using LatticeKV.Db;
using LatticeKV.Keys;

namespace LatticeKV.Replication;

/// <summary>
/// Stage 4 of the write path for the replication log (see <see cref="WritePath"/> and
/// <see cref="IWriteStamp"/>): run by the leader once sequence numbers are assigned. Each
/// change record's key becomes its position (its own sequence number, so positions follow
/// commit order); a local change and the version record after it get the batch's clock reading
/// and the change's position as their origin sequence.
/// </summary>
internal sealed class ChangeStamp(ReplicationLog log) : IWriteStamp
{
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
                    if (local) ChangeHeader.Stamp(rep[OffsetOf(rep, reader.Value)..], timestamp, sequence);
                }
                else if (local)
                {
                    ChangeHeader.Stamp(rep[OffsetOf(rep, reader.Value)..], timestamp, lastChange);
                }
            }
            sequence++;
        }
    }

    public void Published(ulong lastSequence) => log.Published();

    private static int OffsetOf(ReadOnlySpan<byte> rep, ReadOnlySpan<byte> part)
        => rep.Overlaps(part, out int offset) ? offset : throw new InvalidOperationException("a record outside its batch");
}
