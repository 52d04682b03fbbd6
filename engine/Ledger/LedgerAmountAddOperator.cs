using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace LatticeKV.Ledger;

/// <summary>
/// The merge operator of <c>ledger.balances</c> ("lattice.ledger.Int128Add"): adds 16-byte
/// little-endian signed integers, an absent value counting as 0. A sum outside the range of
/// <see cref="Int128"/> is an error (a read throws <see cref="MergeException"/>), never a wrap;
/// the exact sum decides whatever order flushes and compactions combined operands in.
/// The name is stored with the family: do not change it.
/// </summary>
internal sealed class LedgerAmountAddOperator : IMergeOperator
{
    internal static readonly LedgerAmountAddOperator Instance = new();

    public string Name => "lattice.ledger.Int128Add";

    public void FullMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, bool hasExistingValue, MergeOperands operands, IBufferWriter<byte> result)
    {
        Int128 sum = hasExistingValue ? Read(existingValue) : Int128.Zero;
        BigInteger? wide = null; // only once the running sum leaves Int128: the exact sum may come back in range
        for (int i = 0; i < operands.Count; i++)
        {
            Int128 operand = Read(operands[i]);
            if (wide is { } w) { wide = w + (BigInteger)operand; continue; }
            Int128 next = sum + operand;
            if (((sum ^ next) & (operand ^ next)) < 0) wide = (BigInteger)sum + (BigInteger)operand;
            else sum = next;
        }
        if (wide is { } total)
        {
            if (total > (BigInteger)Int128.MaxValue || total < (BigInteger)Int128.MinValue)
                throw new OverflowException("A ledger balance is outside the range of a 128-bit signed integer.");
            sum = (Int128)total;
        }
        BinaryPrimitives.WriteInt128LittleEndian(result.GetSpan(LedgerAmounts.Size), sum);
        result.Advance(LedgerAmounts.Size);
    }

    public bool TryPartialMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> older, ReadOnlySpan<byte> newer, IBufferWriter<byte> result)
    {
        if (older.Length != LedgerAmounts.Size || newer.Length != LedgerAmounts.Size) return false;
        Int128 a = BinaryPrimitives.ReadInt128LittleEndian(older), b = BinaryPrimitives.ReadInt128LittleEndian(newer);
        Int128 sum = a + b;
        if (((a ^ sum) & (b ^ sum)) < 0) return false; // overflowed: keep both, the full merge decides
        BinaryPrimitives.WriteInt128LittleEndian(result.GetSpan(LedgerAmounts.Size), sum);
        result.Advance(LedgerAmounts.Size);
        return true;
    }

    public bool IsValidOperand(ReadOnlySpan<byte> operand) => operand.Length == LedgerAmounts.Size;

    private static Int128 Read(ReadOnlySpan<byte> bytes)
        => bytes.Length == LedgerAmounts.Size
            ? BinaryPrimitives.ReadInt128LittleEndian(bytes)
            : throw new FormatException($"A ledger balance operand is {bytes.Length} bytes, not {LedgerAmounts.Size}.");
}
