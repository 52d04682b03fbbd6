using System.Buffers;
using LatticeKV.Compaction;
using LatticeKV.Db;

namespace LatticeKV.Transactions;

/// <summary>What a transaction will write to one key at commit: the last put or deletion, then merge operands written after it.</summary>
internal sealed class PendingWrite
{
    public PendingKind Kind { get; private set; }

    /// <summary>The value of a <see cref="PendingKind.Put"/>.</summary>
    public byte[]? Value { get; private set; }

    /// <summary>Merge operands written after <see cref="Kind"/>'s put or deletion (or over the database's value when <see cref="PendingKind.None"/>), oldest first.</summary>
    public List<byte[]>? Operands { get; private set; }

    public void SetPut(ReadOnlySpan<byte> value)
    {
        Kind = PendingKind.Put;
        Value = value.ToArray();
        Operands = null;
    }

    public void SetDelete()
    {
        Kind = PendingKind.Delete;
        Value = null;
        Operands = null;
    }

    public void AddOperand(ReadOnlySpan<byte> operand) => (Operands ??= []).Add(operand.ToArray());

    /// <summary>True when the key reads as absent: deleted, with no operand since.</summary>
    public bool IsDeletion => Kind == PendingKind.Delete && Operands is null;

    /// <summary>
    /// The key's value as the transaction sees it when it has operands: the family's operator
    /// applied to them over the put's value, over nothing after a deletion, or over
    /// <paramref name="stored"/> (the database's value, when <paramref name="hasStored"/>) otherwise.
    /// </summary>
    public byte[] Merged(ColumnFamilyData cfd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored, bool hasStored)
    {
        var op = cfd.Policy.MergeOperator ?? throw MergeFailure.NoOperator(cfd, key);
        bool hasBase = Kind == PendingKind.Put || (Kind == PendingKind.None && hasStored);
        var baseValue = Kind == PendingKind.Put ? Value : Kind == PendingKind.None ? stored : default;
        using var operands = new MergeOperandList();
        foreach (var operand in Operands!) operands.Add(operand, 0);
        var output = new ArrayBufferWriter<byte>();
        if (!MergeRunner.TryFullMerge(op, key, baseValue, hasBase, operands.View(newestFirst: false), output, out var error))
            throw MergeFailure.Failed(cfd, key, error!);
        return output.WrittenSpan.ToArray();
    }
}

/// <summary>The base of a <see cref="PendingWrite"/>.</summary>
internal enum PendingKind
{
    /// <summary>Only merge operands: they apply over the database's value.</summary>
    None,
    Put,
    Delete,
}
