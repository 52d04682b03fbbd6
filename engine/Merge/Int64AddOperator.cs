using System.Buffers;
using System.Buffers.Binary;

namespace LatticeKV;

/// <summary>See <see cref="MergeOperators.Int64Add"/>.</summary>
internal sealed class Int64AddOperator : IMergeOperator
{
    public string Name => "lattice.Int64Add";

    public void FullMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, bool hasExistingValue, MergeOperands operands, IBufferWriter<byte> result)
    {
        // The exact sum decides, not a running one: whether a result overflows must not depend on
        // which operands a flush or compaction already combined.
        Int128 sum = hasExistingValue ? Read(existingValue, "existing value") : 0;
        for (int i = 0; i < operands.Count; i++) sum += Read(operands[i], "operand");
        if (sum > long.MaxValue || sum < long.MinValue) throw new OverflowException("Int64Add sum is outside the range of a 64-bit signed integer.");
        BinaryPrimitives.WriteInt64LittleEndian(result.GetSpan(8), (long)sum);
        result.Advance(8);
    }

    public bool TryPartialMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> older, ReadOnlySpan<byte> newer, IBufferWriter<byte> result)
    {
        if (older.Length != 8 || newer.Length != 8) return false;
        long a = BinaryPrimitives.ReadInt64LittleEndian(older), b = BinaryPrimitives.ReadInt64LittleEndian(newer);
        long sum = a + b;
        // The same sign in, another sign out: the sum overflowed. Keep both: the full merge decides.
        if (((a ^ sum) & (b ^ sum)) < 0) return false;
        BinaryPrimitives.WriteInt64LittleEndian(result.GetSpan(8), sum);
        result.Advance(8);
        return true;
    }

    public bool IsValidOperand(ReadOnlySpan<byte> operand) => operand.Length == 8;

    private static long Read(ReadOnlySpan<byte> bytes, string what)
        => bytes.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : throw new FormatException($"Int64Add {what} is {bytes.Length} bytes, not 8.");
}
