using LatticeKV.Db;
using LatticeKV.Keys;

namespace LatticeKV.Integrity;

/// <summary>
/// Stage 1 of the write path at <see cref="WriteStageOrder.Validation"/>: every put into a
/// family with a validator is judged before the batch is queued, and a refusal rejects the
/// whole batch. Merges into such a family are judged at commit (<see cref="MergedValueCheck"/>),
/// where the value they produce is known. Added only once some family has a validator; batches
/// touching no validated family pass at the cost of one look at their family ids.
/// </summary>
/// <remarks>
/// It sees the values the caller wrote: a TTL's write time is added when the batch is inserted
/// into the memtable, and scoped values are sealed by a later stage.
/// </remarks>
internal sealed class ValidationStage(LatticeDb db, IWriteHost host) : IWriteStage
{
    public WriteBatch Prepare(WriteBatch batch, ref ICommitCheck? check)
    {
        // A peer's changes were judged by the remote apply, which quarantines what a validator refuses.
        if (batch.FromPeer) return batch;
        var families = host.ColumnFamilies;
        bool validated = false;
        foreach (uint id in batch.ColumnFamilyIds)
            if (families.TryGetValue(id, out var cfd) && cfd.Options.EnforcedValidator is not null) validated = true;
        if (!validated) return batch;

        bool merges = false;
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            var cfd = families[reader.ColumnFamilyId];
            if (cfd.Options.EnforcedValidator is null) continue;
            if (reader.Kind == ValueKind.Value) FamilyValidation.Check(cfd, reader.Key, reader.Value);
            else if (reader.Kind == ValueKind.Merge) merges = true;
        }
        if (merges) check = CombinedCommitCheck.Combine(check, new MergedValueCheck(db, families, batch));
        return batch;
    }
}
