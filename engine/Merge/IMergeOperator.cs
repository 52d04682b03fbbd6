using System.Buffers;

namespace LatticeKV;

/// <summary>
/// Combines a key's merge operands (<see cref="LatticeDb.Merge(ReadOnlySpan{byte}, ReadOnlySpan{byte}, WriteOptions?)"/>)
/// with its older value: reads apply it, flushes and compactions apply it ahead of time. Set on
/// a column family with <see cref="ColumnFamilyOptions.MergeOperator"/>; its <see cref="Name"/>
/// is stored with the family, and opening the family with an operator of another name fails.
/// </summary>
/// <remarks>
/// An operator must be deterministic (the same inputs always give the same output, in any
/// process, forever: merged results are stored), thread-safe and free of side effects. It must
/// not call the database. It reports an operand it cannot combine (malformed, overflow) by
/// throwing any exception: a read then throws <see cref="MergeException"/>, while a flush or
/// compaction keeps the operands as they are. Messages of such exceptions must not quote keys
/// or values.
/// </remarks>
/// <example>
/// <code>
/// var options = new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add };
/// var balances = db.CreateColumnFamily("balances", options);
/// db.Merge(balances, "alice"u8, BitConverter.GetBytes(100L));
/// db.Merge(balances, "alice"u8, BitConverter.GetBytes(-30L));
/// long balance = BitConverter.ToInt64(db.Get(balances, "alice"u8)); // 70
/// </code>
/// </example>
public interface IMergeOperator
{
    /// <summary>The operator's stable name, stored with the column family (for example "lattice.Int64Add").</summary>
    string Name { get; }

    /// <summary>
    /// Writes to <paramref name="result"/> the value of <paramref name="key"/> after applying
    /// <paramref name="operands"/> (oldest first) to <paramref name="existingValue"/>, or to
    /// nothing when <paramref name="hasExistingValue"/> is false (the key was absent or deleted).
    /// </summary>
    void FullMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, bool hasExistingValue, MergeOperands operands, IBufferWriter<byte> result);

    /// <summary>
    /// Combines two adjacent operands into one, so flushes and compactions can store fewer.
    /// Returns false (the default) when the operator cannot: they are then kept apart. Must not
    /// depend on any older value: <c>FullMerge(v, [..., older, newer, ...])</c> must equal
    /// <c>FullMerge(v, [..., combined, ...])</c>.
    /// </summary>
    bool TryPartialMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> older, ReadOnlySpan<byte> newer, IBufferWriter<byte> result) => false;

    /// <summary>
    /// True when <paramref name="operand"/> is well formed. Checked when it is written: a
    /// malformed operand is refused with <see cref="InvalidArgumentException"/> rather than
    /// stored. The default accepts every operand.
    /// </summary>
    bool IsValidOperand(ReadOnlySpan<byte> operand) => true;
}
