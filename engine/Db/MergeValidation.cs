using LatticeKV.Keys;

namespace LatticeKV.Db;

/// <summary>
/// Stage 1 check of a batch holding merge operands: each family must have a merge operator that
/// accepts the operand. Nothing of a refused batch is written.
/// </summary>
internal static class MergeValidation
{
    public static void Check(WriteBatch batch, Dictionary<uint, ColumnFamilyData> families)
    {
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            if (reader.Kind != ValueKind.Merge) continue;
            CheckOperand(families[reader.ColumnFamilyId], reader.Value);
        }
    }

    /// <summary>Refuses <paramref name="operand"/> unless the family takes merges and its operator accepts it (also a transaction's Merge, before it is buffered).</summary>
    public static void CheckOperand(ColumnFamilyData cfd, ReadOnlySpan<byte> operand)
    {
        // Checked at open too; a family opened without the operator cannot take merges.
        var op = cfd.Policy.MergeOperator
            ?? throw MergeFailure.Refused(cfd, "the family has no merge operator (ColumnFamilyOptions.MergeOperator).");
        if (cfd.Scopes is not null) throw MergeFailure.Refused(cfd, "the family's values are scoped (EncryptionScope).");
        if (cfd.Policy.Ttl is not null) throw MergeFailure.Refused(cfd, "the family has a Ttl.");
        if (!op.IsValidOperand(operand)) throw MergeFailure.Refused(cfd, $"operator '{op.Name}' does not accept the operand.");
    }
}
