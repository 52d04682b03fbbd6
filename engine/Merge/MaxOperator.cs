using System.Buffers;

namespace LatticeKV;

/// <summary>See <see cref="MergeOperators.Max"/>.</summary>
internal sealed class MaxOperator : IMergeOperator
{
    public string Name => "lattice.Max";

    public void FullMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, bool hasExistingValue, MergeOperands operands, IBufferWriter<byte> result)
    {
        var max = hasExistingValue ? existingValue : operands[0];
        for (int i = hasExistingValue ? 0 : 1; i < operands.Count; i++)
            if (operands[i].SequenceCompareTo(max) > 0) max = operands[i];
        result.Write(max);
    }

    public bool TryPartialMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> older, ReadOnlySpan<byte> newer, IBufferWriter<byte> result)
    {
        result.Write(newer.SequenceCompareTo(older) > 0 ? newer : older);
        return true;
    }
}
