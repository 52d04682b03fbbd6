using System.Buffers;
using System.Buffers.Binary;

namespace LatticeKV.Tests.Merge;

/// <summary>Helpers for merge operator tests.</summary>
internal static class MergeSupport
{
    public static byte[] I64(long v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        return b;
    }

    public static long? AsI64(byte[]? b) => b is null ? null : BinaryPrimitives.ReadInt64LittleEndian(b);

    public static DbOptions Options(string path, IMergeOperator? op, Action<DbOptions>? configure = null)
    {
        var o = new DbOptions { CreateIfMissing = true };
        o.DefaultColumnFamilyOptions.MergeOperator = op;
        configure?.Invoke(o);
        return o;
    }
}

/// <summary>
/// An operator named like another (to reopen a family as if it were that one) that records the
/// operands it is handed and merges them as Int64Add would, without overflow checks.
/// </summary>
internal sealed class CountingOperator(string name) : IMergeOperator
{
    public string Name => name;

    public int LastOperandCount;

    public bool LastHadExisting;

    public void FullMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, bool hasExistingValue, MergeOperands operands, IBufferWriter<byte> result)
    {
        LastOperandCount = operands.Count;
        LastHadExisting = hasExistingValue;
        long sum = hasExistingValue ? BinaryPrimitives.ReadInt64LittleEndian(existingValue) : 0;
        for (int i = 0; i < operands.Count; i++) sum = unchecked(sum + BinaryPrimitives.ReadInt64LittleEndian(operands[i]));
        BinaryPrimitives.WriteInt64LittleEndian(result.GetSpan(8), sum);
        result.Advance(8);
    }
}
