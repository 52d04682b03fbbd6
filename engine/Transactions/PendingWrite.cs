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

    /// <summary>True when the transaction alone decides the key's value (no operand waits for the database's).</summary>
    public bool HidesDatabase => Kind != PendingKind.None;
}

/// <summary>The base of a <see cref="PendingWrite"/>.</summary>
internal enum PendingKind
{
    /// <summary>Only merge operands: they apply over the database's value.</summary>
    None,
    Put,
    Delete,
}
